# SPDX-License-Identifier: MIT
# bash completion of labyrinth(1).  The verbs and each verb's options are
# what the installed command's own --help says, and the names what
# `labyrinth list` says, so nothing here can fall behind the command.

_labyrinth_verbs()
{
	labyrinth --help 2>/dev/null | sed -n 's/^labyrinth \([a-z][a-z]*\) .*/\1/p'
}

# The options in VERB's synopsis: its usage line and the lines continuing it.
_labyrinth_options()
{
	labyrinth "$1" --help 2>/dev/null |
		awk 'NR == 1 || /^ +(\[|--)/ { print; next } { exit }' |
		grep -o -- '--[a-z][a-z-]*' | sort -u
}

_labyrinth_names()
{
	labyrinth list 2>/dev/null | awk 'NR > 1 { print $1 }'
}

_labyrinth()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local verb=${COMP_WORDS[1]}

	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$(_labyrinth_verbs) --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--svg|--textfile|--socket)
		compopt -o default 2>/dev/null
		return ;;
	esac
	case $cur in
	-*)	COMPREPLY=($(compgen -W "$(_labyrinth_options "$verb") --help" -- "$cur")) ;;
	*)	if [ "$verb" = help ]; then
			COMPREPLY=($(compgen -W "$(_labyrinth_verbs)" -- "$cur"))
		elif [ "$verb" != list ]; then
			COMPREPLY=($(compgen -W "$(_labyrinth_names)" -- "$cur"))
		fi ;;
	esac
}
complete -F _labyrinth labyrinth
