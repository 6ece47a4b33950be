# bash completion for pkwatchdogd(8): commands, their flags, --pagekite NAME
# from the config's [[pagekite]] instances, --kite NAME from its [[kite]]
# entries, --config FILE. Installed as
# /usr/share/bash-completion/completions/pkwatchdogd.

# _pkwatchdogd_names TABLE CONFIG: the name = "..." of each [[TABLE]] of
# CONFIG (read with awk, as the daemon's TOML allows it: one key per line).
_pkwatchdogd_names() {
	[ -r "$2" ] || return 0
	awk -v table="[[$1]]" '
		/^[ \t]*\[/ { t = $0; gsub(/[ \t]/, "", t); sub(/#.*/, "", t); inside = (t == table); next }
		inside && /^[ \t]*name[ \t]*=/ {
			v = $0; sub(/^[^=]*=[ \t]*/, "", v)
			if (v ~ /^"/) { sub(/^"/, "", v); sub(/".*/, "", v) } else if (v ~ /^\x27/) { sub(/^\x27/, "", v); sub(/\x27.*/, "", v) }
			print v
		}' "$2"
}

_pkwatchdogd() {
	local cur prev cmd="" config=/etc/pkwatchdogd/pkwatchdogd.toml i
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	local commands="run check validate status report stacks version help"

	# The command is the first word that is not a flag; the config is the
	# one given with --config, if any.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--config | -config)
			config=${COMP_WORDS[i + 1]}
			((i++))
			;;
		--config=* | -config=*) config=${COMP_WORDS[i]#*=} ;;
		-*) ;;
		*) [ -z "$cmd" ] && cmd=${COMP_WORDS[i]} ;;
		esac
	done
	config=${config/#\~/$HOME}

	case $prev in
	--config | -config)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -X '!*.toml' -- "$cur") $(compgen -d -- "$cur"))
		return
		;;
	--pagekite | -pagekite)
		COMPREPLY=($(compgen -W "$(_pkwatchdogd_names pagekite "$config")" -- "$cur"))
		return
		;;
	--kite | -kite)
		COMPREPLY=($(compgen -W "$(_pkwatchdogd_names kite "$config")" -- "$cur"))
		return
		;;
	esac

	local flags
	case ${cmd:-run} in
	run) flags="--config --dry-run --help" ;;
	check | status) flags="--config --json --help" ;;
	validate) flags="--config --help" ;;
	report) flags="--config --kite --dry-run --help" ;;
	stacks) flags="--config --json --pagekite --help" ;;
	help)
		[ -n "$cmd" ] && COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		return
		;;
	version) flags="" ;;
	*) return ;;
	esac
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$flags --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$commands" -- "$cur"))
		fi
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	fi
}
complete -F _pkwatchdogd pkwatchdogd
