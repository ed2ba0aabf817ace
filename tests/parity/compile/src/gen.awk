BEGIN { print "#!/bin/sh"; print "# generated" }
/^say / { sub(/^say /, ""); printf "echo \"%s $*\"\n", $0 }
END { print "exit 0" }
