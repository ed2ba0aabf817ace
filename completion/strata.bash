# shellcheck shell=bash
# bash completion for strata (make install puts it in share/bash-completion/completions).
# Commands and options come from the strata binary itself (strata help --commands,
# strata help --options CMD), which takes them from its man pages: nothing here to keep
# in step with new options.

_strata_words() { # WORDLIST: fill COMPREPLY with the words of WORDLIST starting with $cur
  local w
  COMPREPLY=()
  for w in $1; do
    [[ $w == "$cur"* ]] && COMPREPLY+=("$w")
  done
}

_strata() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  local i cmd="" opts o
  for ((i = 1; i < COMP_CWORD; i++)); do
    case ${COMP_WORDS[i]} in
      --root) ((i++)) ;;
      -*) ;;
      *) cmd=${COMP_WORDS[i]}; break ;;
    esac
  done
  if [[ -z $cmd ]]; then
    if [[ $prev == --root ]]; then
      mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    elif [[ $cur == -* ]]; then
      _strata_words "--root --help --version"
    else
      _strata_words "$(strata help --commands 2>/dev/null) help"
    fi
    return
  fi
  opts=$(strata help --options "$cmd" 2>/dev/null)
  for o in $opts; do
    [[ $o == *= && $prev == "${o%=}" ]] || continue
    case $cmd:$prev in
      build:--format) _strata_words "oci docker" ;;
      export:--format) _strata_words "docker-archive oci-archive oci" ;;
      *:--format) _strata_words "json" ;;
      *:--compression) _strata_words "zstd gzip none" ;;
      *:--progress) _strata_words "auto tty plain rawjson quiet" ;;
      *:--network) _strata_words "host none" ;;
      *) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    esac
    return
  done
  if [[ $cur == -* ]]; then
    _strata_words "${opts//=/}"
    return
  fi
  case $cmd in
    build) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
    import|parse) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
    help) _strata_words "$(strata help --commands 2>/dev/null)" ;;
    *) _strata_words "$(strata images --format '{{.Name}}' 2>/dev/null)" ;;
  esac
}
complete -F _strata strata
