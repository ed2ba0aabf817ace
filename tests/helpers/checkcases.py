#!/usr/bin/env python3
"""BuildKit's build-check cases (frontend/dockerfile/dockerfile_lint_test.go), as data, run
through `strata build --check` (BuildKit's lint subrequest, which checks every stage).

    checkcases.py STRATA WORKDIR GROUP

For each case of GROUP: writes the recipe (and .dockerignore) to a fresh directory, runs
`STRATA build --check [flags] DIR`, and compares the warnings it prints
("strata: warning: FILE:LINE: Rule: detail (line LINE)") with the expected ones: the same
rules, details and lines, as many, in order. Exit status 0 when every case of the group
matched, 1 otherwise (the differences on stdout). The recipes' base images are only named:
--check needs none of them.
"""
import os
import re
import shutil
import subprocess
import sys

W = re.compile(r"^strata: warning: [^:]*:(\d+): (\w+): (.*) \(line (\d+)\)$")


def warn(rule, line, detail):
    return (rule, detail, line)


CASES = {
    "RuleCheckOption": [
        ("#check=skip=all\nFROM scratch as base\ncopy Dockerfile .\n", None, [], []),
        ("#check=skip=all;error=true\nFROM scratch as base\ncopy Dockerfile .\n", None, [], []),
        ("#check=skip=ConsistentInstructionCasing,FromAsCasing\nFROM scratch as base\n"
         "copy Dockerfile .\n", None, [], []),
        ("#check=skip=ConsistentInstructionCasing\nFROM scratch as base\ncopy Dockerfile .\n",
         None, [], [warn("FromAsCasing", 2, "'as' and 'FROM' keywords' casing do not match")]),
        ("#check=skip=all\nFROM scratch as base\ncopy Dockerfile .\n", None,
         ["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=ConsistentInstructionCasing;error=true"],
         [warn("FromAsCasing", 2, "'as' and 'FROM' keywords' casing do not match")]),
        ("#check=error=true\nFROM scratch as base\ncopy Dockerfile .\n", None,
         ["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=skip=all"], []),
    ],
    "StageName": [
        ("\n# warning: stage name should be lowercase\n#\nFROM scratch AS BadStageName\n\n"
         "# warning: 'as' should match 'FROM' cmd casing.\n#\nFROM scratch as base2\n\n"
         "FROM scratch AS base3\n", None, [],
         [warn("StageNameCasing", 4, "Stage name 'BadStageName' should be lowercase"),
          warn("FromAsCasing", 8, "'as' and 'FROM' keywords' casing do not match")]),
        ("\n# warning: 'AS' should match 'from' cmd casing.\n#\nfrom scratch AS base\n\n"
         "from scratch as base2\n", None, [],
         [warn("FromAsCasing", 4, "'AS' and 'from' keywords' casing do not match")]),
    ],
    "NoEmptyContinuation": [
        ("\nFROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\n"
         "COPY Dockerfile \\\n.\n", None, [],
         [warn("NoEmptyContinuation", 6, "Empty continuation line")]),
    ],
    "ConsistentInstructionCasing": [
        ("\n# warning: 'FROM' should be either lowercased or uppercased\n#\nFrom scratch as base\n"
         "FROM scratch AS base2\n", None, [],
         [warn("ConsistentInstructionCasing", 4,
               "Command 'From' should match the case of the command majority (uppercase)")]),
        ("\nFROM scratch\n# warning: 'copy' should match command majority's casing (uppercase)\n"
         "copy Dockerfile /foo\nCOPY Dockerfile /bar\n", None, [],
         [warn("ConsistentInstructionCasing", 4,
               "Command 'copy' should match the case of the command majority (uppercase)")]),
        ("\n# warning: 'frOM' should be either lowercased or uppercased\n#\nfrOM scratch as base\n"
         "from scratch as base2\n", None, [],
         [warn("ConsistentInstructionCasing", 4,
               "Command 'frOM' should match the case of the command majority (lowercase)")]),
        ("\nfrom scratch\n# warning: 'COPY' should match command majority's casing (lowercase)\n"
         "COPY Dockerfile /foo\ncopy Dockerfile /bar\n", None, [],
         [warn("ConsistentInstructionCasing", 4,
               "Command 'COPY' should match the case of the command majority (lowercase)")]),
        ("\n# warning: 'from' should match command majority's casing (uppercase)\n#\n"
         "from scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\nCOPY Dockerfile /baz\n",
         None, [],
         [warn("ConsistentInstructionCasing", 4,
               "Command 'from' should match the case of the command majority (uppercase)")]),
        ("\n# warning: 'FROM' should match command majority's casing (lowercase)\n#\n"
         "FROM scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\ncopy Dockerfile /baz\n",
         None, [],
         [warn("ConsistentInstructionCasing", 4,
               "Command 'FROM' should match the case of the command majority (lowercase)")]),
        ("\nfrom scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\n", None, [], []),
        ("\nFROM scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\n", None, [], []),
        ("\nFROM alpine\nRUN <<'EOT'\nenv\nEOT\n", None, [], []),
    ],
    "DuplicateStageName": [
        ("\nFROM scratch AS b\nFROM scratch AS b\n", None, [],
         [warn("DuplicateStageName", 3, "Duplicate stage name \"b\", stage names should be unique")]),
        ("\nFROM scratch AS b1\nFROM scratch AS b2\n", None, [], []),
    ],
    "ReservedStageName": [
        ("\nFROM scratch AS scratch\nFROM scratch AS context\n", None, [],
         [warn("ReservedStageName", 2,
               "Stage name should not use the same name as reserved stage \"scratch\""),
          warn("ReservedStageName", 3,
               "Stage name should not use the same name as reserved stage \"context\"")]),
        ("\nFROM scratch\nFROM scratch AS a\n", None, [], []),
    ],
    "JSONArgsRecommended": [
        ("\nFROM scratch\nCMD mycommand\n", None, [],
         [warn("JSONArgsRecommended", 3, "JSON arguments recommended for CMD to prevent "
               "unintended behavior related to OS signals")]),
        ("\nFROM scratch\nENTRYPOINT mycommand\n", None, [],
         [warn("JSONArgsRecommended", 3, "JSON arguments recommended for ENTRYPOINT to prevent "
               "unintended behavior related to OS signals")]),
        ("\nFROM scratch\nSHELL [\"/usr/bin/customshell\"]\nCMD mycommand\n", None, [], []),
        ("\nFROM scratch\nSHELL [\"/usr/bin/customshell\"]\nENTRYPOINT mycommand\n", None, [], []),
        ("\nFROM scratch AS base\nSHELL [\"/usr/bin/customshell\"]\n\nFROM base\nCMD mycommand\n",
         None, [], []),
        ("\nFROM scratch AS base\nSHELL [\"/usr/bin/customshell\"]\n\nFROM base\n"
         "ENTRYPOINT mycommand\n", None, [], []),
    ],
    "MaintainerDeprecated": [
        ("\nFROM scratch\nMAINTAINER me@example.org\n", None, [],
         [warn("MaintainerDeprecated", 3,
               "Maintainer instruction is deprecated in favor of using label")]),
        ("\nFROM scratch\nLABEL org.opencontainers.image.authors=\"me@example.org\"\n", None, [],
         []),
    ],
    "UndeclaredArg": [
        ("\nARG base=scratch\nFROM $base\nCOPY Dockerfile .\n", None, [], []),
        ("\nARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM scratch\n"
         "COPY Dockerfile .\n", None, [], []),
        ("\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n", None, [], []),
        ("\nARG DEBUG\nFROM scratch${DEBUG}\nCOPY Dockerfile .\n", None, [], []),
        ("\nARG DEBUG\nFROM scra${DEBUG:-tch}\nCOPY Dockerfile .\n", None, [], []),
        ("\nARG DEBUG=\"\"\nFROM scratch${DEBUG-@bogus}\nCOPY Dockerfile .\n", None, [], []),
        ("\nFROM --platform=$BULIDPLATFORM scratch\nCOPY Dockerfile .\n", None, [],
         [warn("UndefinedArgInFrom", 2,
               "FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)")]),
        ("\nARG MY_OS=linux\nARG MY_ARCH=amd64\nFROM --platform=linux/${MYARCH} busybox\n"
         "COPY Dockerfile .\n\t", None, [],
         [warn("UndefinedArgInFrom", 4,
               "FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)")]),
        ("\nARG tag=latest\nFROM busybox:${tag}${version} AS b\nCOPY Dockerfile .\n", None, [],
         [warn("UndefinedArgInFrom", 3, "FROM argument 'version' is not declared")]),
    ],
    "WorkdirRelativePath": [
        ("\nFROM scratch\nWORKDIR app/\n", None, [],
         [warn("WorkdirRelativePath", 3,
               "Relative workdir \"app/\" can have unexpected results if the base image changes")]),
        ("\nFROM scratch AS a\nWORKDIR /app\n\nFROM a AS b\nWORKDIR subdir/\n", None, [], []),
    ],
    "UnmatchedVars": [
        ("\nFROM scratch\nARG foo\nCOPY Dockerfile${foo} .\n", None, [], []),
        ("\nFROM alpine AS base\nARG foo=Dockerfile\n\nFROM base\nCOPY $foo .\n", None, [], []),
        ("\nFROM alpine\nRUN echo $PATH\n", None, [], []),
        ("\nFROM alpine\nCOPY $foo .\nARG foo=bar\nRUN echo $foo\n", None, [],
         [warn("UndefinedVar", 3, "Usage of undefined variable '$foo'")]),
        ("\nFROM alpine\nARG DIR_BINARIES=binaries/\nARG DIR_ASSETS=assets/\n"
         "ARG DIR_CONFIG=config/\nCOPY $DIR_ASSET .\n\t", None, [],
         [warn("UndefinedVar", 6,
               "Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)")]),
        ("\nFROM alpine\nENV PATH=$PAHT:/tmp/bin\n\t\t", None, [],
         [warn("UndefinedVar", 3, "Usage of undefined variable '$PAHT' (did you mean $PATH?)")]),
    ],
    "AllTargetUnmarshal": [
        ("\nFROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n", None, [],
         [warn("UndefinedVar", 3, "Usage of undefined variable '$foo'"),
          warn("UndefinedVar", 6, "Usage of undefined variable '$bar'")]),
    ],
    "MultipleInstructionsDisallowed": [
        ("\nFROM scratch\nENTRYPOINT [\"/myapp\"]\nENTRYPOINT [\"/myotherapp\"]\nCMD [\"/myapp\"]\n"
         "CMD [\"/myotherapp\"]\nHEALTHCHECK CMD [\"/myapp\"]\nHEALTHCHECK CMD [\"/myotherapp\"]\n",
         None, [],
         [warn("MultipleInstructionsDisallowed", 3, "Multiple ENTRYPOINT instructions should not "
               "be used in the same stage because only the last one will be used"),
          warn("MultipleInstructionsDisallowed", 5, "Multiple CMD instructions should not be used "
               "in the same stage because only the last one will be used"),
          warn("MultipleInstructionsDisallowed", 7, "Multiple HEALTHCHECK instructions should not "
               "be used in the same stage because only the last one will be used")]),
        ("\nFROM scratch\nENTRYPOINT [\"/myapp\"]\nCMD [\"/myapp\"]\nHEALTHCHECK CMD [\"/myapp\"]\n"
         "COPY <<EOF /a.txt\nHello, World!\nEOF\nENTRYPOINT [\"/myotherapp\"]\n"
         "CMD [\"/myotherapp\"]\nHEALTHCHECK CMD [\"/myotherapp\"]\n", None, [],
         [warn("MultipleInstructionsDisallowed", 3, "Multiple ENTRYPOINT instructions should not "
               "be used in the same stage because only the last one will be used"),
          warn("MultipleInstructionsDisallowed", 4, "Multiple CMD instructions should not be used "
               "in the same stage because only the last one will be used"),
          warn("MultipleInstructionsDisallowed", 5, "Multiple HEALTHCHECK instructions should not "
               "be used in the same stage because only the last one will be used")]),
        ("\nFROM scratch AS a\nENTRYPOINT [\"/myapp\"]\nCMD [\"/myapp\"]\nHEALTHCHECK CMD [\"/myapp\"]\n"
         "\nFROM a AS b\nENTRYPOINT [\"/myotherapp\"]\nCMD [\"/myotherapp\"]\n"
         "HEALTHCHECK CMD [\"/myotherapp\"]\n", None, [], []),
    ],
    "LegacyKeyValueFormat": [
        ("\nFROM scratch\nENV testkey value\nLABEL key value\n", None, [],
         [warn("LegacyKeyValueFormat", 3,
               "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"),
          warn("LegacyKeyValueFormat", 4,
               "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format")]),
        ("\nFROM scratch\nENV testkey=value\nLABEL key=value\n", None, [], []),
        ("\nFROM scratch AS a\n\nFROM a AS b\nENV testkey value\nLABEL key value\n\nFROM a AS c\n",
         None, [],
         [warn("LegacyKeyValueFormat", 5,
               "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format"),
          warn("LegacyKeyValueFormat", 6,
               "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format")]),
    ],
    "RedundantTargetPlatform": [
        ("\nFROM --platform=$TARGETPLATFORM scratch\n", None, [],
         [warn("RedundantTargetPlatform", 2, "Setting platform to predefined $TARGETPLATFORM in "
               "FROM is redundant as this is the default behavior")]),
        ("\nFROM --platform=${TARGETPLATFORM} scratch\n", None, [],
         [warn("RedundantTargetPlatform", 2, "Setting platform to predefined ${TARGETPLATFORM} in "
               "FROM is redundant as this is the default behavior")]),
    ],
    "SecretsUsedInArgOrEnv": [
        ("\nFROM scratch\nARG SECRET_PASSPHRASE\nENV SUPER_Secret=foo\nENV password=bar secret=baz\n"
         "ARG super_duper_secret_token=foo auth=bar\nENV apikey=bar sunflower=foo\nENV git_key=\n"
         "ENV PUBLIC_KEY=\nARG public_token\n", None, [],
         [warn("SecretsUsedInArgOrEnv", 3, "Do not use ARG or ENV instructions for sensitive data "
               "(ARG \"SECRET_PASSPHRASE\")"),
          warn("SecretsUsedInArgOrEnv", 4, "Do not use ARG or ENV instructions for sensitive data "
               "(ENV \"SUPER_Secret\")"),
          warn("SecretsUsedInArgOrEnv", 5, "Do not use ARG or ENV instructions for sensitive data "
               "(ENV \"password\")"),
          warn("SecretsUsedInArgOrEnv", 5, "Do not use ARG or ENV instructions for sensitive data "
               "(ENV \"secret\")"),
          warn("SecretsUsedInArgOrEnv", 6, "Do not use ARG or ENV instructions for sensitive data "
               "(ARG \"auth\")"),
          warn("SecretsUsedInArgOrEnv", 6, "Do not use ARG or ENV instructions for sensitive data "
               "(ARG \"super_duper_secret_token\")"),
          warn("SecretsUsedInArgOrEnv", 7, "Do not use ARG or ENV instructions for sensitive data "
               "(ENV \"apikey\")"),
          warn("SecretsUsedInArgOrEnv", 8, "Do not use ARG or ENV instructions for sensitive data "
               "(ENV \"git_key\")")]),
    ],
    "InvalidDefaultArgInFrom": [
        ("\nARG VERSION\nFROM busybox:$VERSION\n", None, ["--build-arg", "VERSION=latest"],
         [warn("InvalidDefaultArgInFrom", 3, "Default value for ARG busybox:$VERSION results in "
               "empty or invalid base image name")]),
        ("\nARG IMAGE\nFROM $IMAGE\n", None, ["--build-arg", "IMAGE=busybox:latest"],
         [warn("InvalidDefaultArgInFrom", 3, "Default value for ARG $IMAGE results in empty or "
               "invalid base image name")]),
        ("\nARG SFX=\"box:\"\nFROM busy${SFX}\n", None, ["--build-arg", "SFX=box:latest"],
         [warn("InvalidDefaultArgInFrom", 3, "Default value for ARG busy${SFX} results in empty "
               "or invalid base image name")]),
        ("\nARG VERSION=\"latest\"\nFROM busybox:${VERSION}\n", None,
         ["--build-arg", "VERSION=latest"], []),
        ("\nARG BUSYBOX_VARIANT=\"\"\nFROM busybox:stable${BUSYBOX_VARIANT}\n", None,
         ["--build-arg", "BUSYBOX_VARIANT=-musl"], []),
        ("\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t", None,
         ["--build-arg", "BUSYBOX_VARIANT=-musl"], []),
    ],
    "FromPlatformFlagConstDisallowed": [
        ("\nFROM --platform=linux/amd64 scratch\n", None, [],
         [warn("FromPlatformFlagConstDisallowed", 2,
               "FROM --platform flag should not use constant value \"linux/amd64\"")]),
        ("\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n", None, [], []),
        ("\nFROM --platform=linux/amd64 scratch AS linux\n", None, [], []),
    ],
    "CopyIgnoredFiles": [
        ("\nFROM scratch\nCOPY Dockerfile .\nADD Dockerfile /windy\n", "\nDockerfile\n", [], []),
        ("# check=experimental=CopyIgnoredFile\nFROM scratch\nCOPY Dockerfile .\n"
         "ADD Dockerfile /windy\n", "\nDockerfile\n", [],
         [warn("CopyIgnoredFile", 3,
               "Attempting to Copy file \"Dockerfile\" that is excluded by .dockerignore"),
          warn("CopyIgnoredFile", 4,
               "Attempting to Add file \"Dockerfile\" that is excluded by .dockerignore")]),
        ("# check=skip=all;experimental=CopyIgnoredFile\nFROM scratch\nCOPY Dockerfile .\n"
         "ADD Dockerfile /windy\n", "\nDockerfile\n", [],
         [warn("CopyIgnoredFile", 3,
               "Attempting to Copy file \"Dockerfile\" that is excluded by .dockerignore"),
          warn("CopyIgnoredFile", 4,
               "Attempting to Add file \"Dockerfile\" that is excluded by .dockerignore")]),
        ("\nFROM scratch AS base\nCOPY Dockerfile /foobar\nADD Dockerfile /windy\n\nFROM base\n"
         "COPY --from=base /foobar /Dockerfile\n", "\nfoobar\n", [], []),
    ],
    "DefinitionDescription": [
        ("# check=experimental=InvalidDefinitionDescription\n# foo this is the foo\nARG foo=bar\n\n"
         "# base this is the base image\nFROM scratch AS base\n\n# version this is the version "
         "number\nARG version=latest\n\n# baz this is the baz\nARG foo=baz bar=qux baz=quux\n#\n"
         "ARG bit=bat\n\n# comment for something other than ARG or FROM\nCOPY Dockerfile .\n",
         None, [], []),
        ("# check=experimental=InvalidDefinitionDescription\n# bar this is the bar\nARG foo=bar\n"
         "# BasE this is the BasE image\nFROM scratch AS base\n# definitely a bad comment\n"
         "ARG version=latest\n# definitely a bad comment\nARG foo=baz bar=qux baz=quux\n", None, [],
         [warn("InvalidDefinitionDescription", 3,
               "Comment for ARG should follow the format: `# foo <description>`"),
          warn("InvalidDefinitionDescription", 5,
               "Comment for FROM should follow the format: `# base <description>`"),
          warn("InvalidDefinitionDescription", 7,
               "Comment for ARG should follow the format: `# version <description>`"),
          warn("InvalidDefinitionDescription", 9,
               "Comment for ARG should follow the format: `# <arg_key> <description>`")]),
    ],
    "Expose": [
        ("\nFROM scratch\nEXPOSE 80/TcP\n", None, [],
         [warn("ExposeProtoCasing", 3,
               "Defined protocol '80/TcP' in EXPOSE instruction should be lowercase")]),
        ("\nFROM scratch\nEXPOSE 127.0.0.1:80:80\n", None, [],
         [warn("ExposeInvalidFormat", 3, "EXPOSE instruction should not define an IP address or "
               "host-port mapping, found '127.0.0.1:80:80'")]),
        ("\nFROM scratch\nEXPOSE 80/tcp 8080\n", None, [], []),
    ],
}


def run(strata, work, group):
    ok = True
    for i, (recipe, ignore, flags, want) in enumerate(CASES[group]):
        d = os.path.join(work, "%s-%d" % (group, i))
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(recipe)
        if ignore is not None:
            with open(os.path.join(d, ".dockerignore"), "w") as f:
                f.write(ignore)
        p = subprocess.run([strata, "build", "--check"] + flags + [d], capture_output=True,
                           text=True)
        got = []
        for line in p.stderr.splitlines():
            m = W.match(line)
            if m:
                if m.group(1) != m.group(4):
                    print("case %d: line %s and (line %s) differ" % (i, m.group(1), m.group(4)))
                    ok = False
                got.append((m.group(2), m.group(3), int(m.group(4))))
        if got != want:
            ok = False
            print("case %d: want %s\n  got %s\n  stderr: %s" % (i, want, got, p.stderr))
        # a check that finds something fails; one that does not succeeds
        if (p.returncode != 0) != bool(want):
            ok = False
            print("case %d: exit status %d with %d warnings" % (i, p.returncode, len(want)))
    return ok


if __name__ == "__main__":
    sys.exit(0 if run(sys.argv[1], sys.argv[2], sys.argv[3]) else 1)
