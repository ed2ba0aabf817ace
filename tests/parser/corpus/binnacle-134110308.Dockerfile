from    dockerfile/nodejs
add     . /src
