#!/usr/bin/env bash
# Writes bash, zsh and fish completions for every tool from its --help, and
# from the --help of each of its subcommands, so the option table in the
# code is the only place options, subcommands and option values are defined.
# Usage: generate.sh BUILD_DIR [OUT_DIR]   (OUT_DIR defaults to completions/)
set -euo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
out=${2:-$here}
tools_dir="$here/../tools"
mkdir -p "$out/bash" "$out/zsh" "$out/fish"

# Prints one row per entry of a CLI11 --help page, its fields separated by
# tabs ("-" for none, as read would merge empty ones):
#   KIND NAMES VALUE LABEL WORDS REPEAT EXCLUDES DESCRIPTION
# KIND is option, command or argument; VALUE is what an option or argument
# takes: none (a flag), file, dir, words (one of WORDS) or text.
entries_of() {
    "$build/$1" ${2:+"$2"} --help | awk '
        function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
        function or_dash(s) { return s == "" ? "-" : s }
        # After its names and type, CLI11 may write these of an option.
        function is_note(t) {
            return t == "..." || t == "x" || t == "REQUIRED" ||
                   t == "Needs:" || t == "Excludes:" || t ~ /^\(Env:/
        }
        # A continuation line holds a description that did not fit
        # beside its name: blank up to the description column.
        function continues(l) {
            return length(l) > wid && substr(l, 1, wid) ~ /^ *$/ &&
                   substr(l, wid + 1, 1) != " "
        }
        # A type reads LABEL[:CHECK][=DEFAULT]; IsMember writes its
        # CHECK as {a,b,c}, the values offered. Sets value and words,
        # and returns the label.
        function value_of(type,    label, check) {
            sub(/=[^{}]*$/, "", type)
            label = type
            check = ""
            if (match(type, /:/)) {
                label = substr(type, 1, RSTART - 1)
                check = substr(type, RSTART + 1)
            }
            words = ""
            if (check ~ /^\{.*\}$/) {
                words = substr(check, 2, length(check) - 2)
                gsub(/,/, " ", words)
                value = "words"
            } else if (label == "FILE" || label == "PATH") {
                value = "file"
            } else if (label == "DIR") {
                value = "dir"
            } else {
                value = "text"
            }
            return label
        }
        function entry(kind, spec, desc,    n, tok, i, names, label,
                       repeat, excludes, note) {
            n = split(trim(spec), tok, " ")
            names = tok[1]
            gsub(/\{[^}]*\}/, "", names)
            gsub(/,/, " ", names)
            value = "none"
            words = ""
            i = 2
            if (i <= n && !is_note(tok[i]))
                label = value_of(tok[i++])
            repeat = 0
            for (; i <= n; i++) {
                if (tok[i] == "...")
                    repeat = 1
                else if (tok[i] == "Needs:" || tok[i] == "Excludes:")
                    note = tok[i]
                else if (note == "Excludes:")
                    excludes = excludes (excludes == "" ? "" : " ") tok[i]
            }
            printf "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", kind, names, value,
                or_dash(label), or_dash(words), repeat, or_dash(excludes),
                or_dash(desc)
        }
        { line[NR] = $0 }
        END {
            # Descriptions start in one column, CLI11 30 unless set; the
            # help flag, on every page, shows where.
            wid = 30
            for (i = 1; i <= NR; i++)
                if (match(line[i], /^  -h,--help +/)) {
                    wid = RLENGTH
                    break
                }
            for (i = 1; i <= NR; i++) {
                l = line[i]
                # A subcommand footer "Not with: --a --b" names the
                # tool options it refuses.
                if (l ~ /^Not with: /) {
                    n = split(substr(l, 11), refused, " ")
                    for (j = 1; j <= n; j++)
                        printf "refuses\t%s\t-\t-\t-\t0\t-\t-\n", refused[j]
                    continue
                }
                if (l ~ /^[^ ]/) {
                    section = l
                    continue
                }
                kind = section == "Options:" ? "option" : \
                       section == "Subcommands:" ? "command" : \
                       section == "Positionals:" ? "argument" : ""
                if (kind == "" || l !~ /^  [^ ]/)
                    continue
                # A name that reaches the column has its description on
                # the next line; names never hold two spaces running,
                # so padding says the description is on this one.
                beside = length(l) > wid && substr(l, wid, 1) == " " &&
                         substr(l, wid + 1, 1) != " "
                padded = index(substr(l, 3), "  ") > 0
                if (beside && (padded || !continues(line[i + 1]))) {
                    entry(kind, substr(l, 1, wid), substr(l, wid + 1))
                    continue
                }
                entry(kind, l, continues(line[i + 1]) ? trim(line[i + 1]) : "")
            }
        }'
}

# Rows of one KIND among rows.
rows_of_kind() {
    printf '%s\n' "$2" | awk -F'\t' -v kind="$1" '$1 == kind'
}

# The rows of a subcommand's page, then the tool's options that it has
# none of the same name as: every subcommand falls through to the tool's
# options (CLI11 fallthrough), so "spam-score learn --config FILE" takes
# them, though the subcommand's --help does not list them. Those its
# page's "Not with:" footer names are left out.
with_tool_options() {
    {
        printf '%s\n' "$1"
        echo "--"
        rows_of_kind option "$2"
    } | awk -F'\t' '
        $0 == "--" && !tool { tool = 1; next }
        !tool {
            if ($1 == "option" || $1 == "refuses") {
                n = split($2, names, " ")
                for (i = 1; i <= n; i++)
                    own[names[i]] = 1
            }
            if ($1 != "refuses")
                print
            next
        }
        {
            n = split($2, names, " ")
            for (i = 1; i <= n; i++)
                if (names[i] in own)
                    next
            print
        }'
}

# Names of the options among rows that take a value, joined by "|".
value_options() {
    printf '%s\n' "$1" |
        awk -F'\t' '$1 == "option" && $3 != "none" { print $2 }' |
        tr ' \n' '||' | sed 's/|$//'
}

# bash: the compgen command that offers a VALUE; none for any text.
bash_offer() {
    case $1 in
    file) echo 'compgen -f -- "$cur"' ;;
    dir) echo 'compgen -d -- "$cur"' ;;
    words) echo "compgen -W \"$2\" -- \"\$cur\"" ;;
    esac
}

# bash: sets COMPREPLY to what commands offer, a line each, so that file
# names with spaces stay whole.
bash_reply() {
    if [ -z "$1" ]; then
        echo "COMPREPLY=()"
        return
    fi
    echo "mapfile -t COMPREPLY < <($1)"
}

# bash: completes one context, the tool or one subcommand, from its rows;
# commands are the subcommand names offered beside the inputs.
bash_context() {
    local rows=$1 commands=$2 indent=$3
    local kind names value label words repeat excludes desc
    local options="" cases="" inputs="" reply
    while IFS=$'\t' read -r kind names value label words repeat excludes \
        desc; do
        case $kind in
        option)
            options+="${options:+ }$names"
            if [ "$value" != none ]; then
                reply=$(bash_reply "$(bash_offer "$value" "$words")")
                cases+="$indent${names// /|}) $reply; return ;;"$'\n'
            fi
            ;;
        argument) inputs=$(bash_offer "$value" "$words") ;;
        esac
    done <<<"$rows"
    if [ -n "$commands" ]; then
        inputs="$(bash_offer words "$commands")${inputs:+; $inputs}"
    fi
    if [ -n "$cases" ]; then
        printf '%scase $prev in\n%s%sesac\n' "$indent" "$cases" "$indent"
    fi
    printf '%sif [[ $cur == -* ]]; then\n' "$indent"
    printf '%s    %s\n' "$indent" \
        "$(bash_reply "compgen -W \"$options\" -- \"\$cur\"")"
    printf '%selse\n' "$indent"
    printf '%s    %s\n' "$indent" "$(bash_reply "$inputs")"
    printf '%sfi\n' "$indent"
}

write_bash() {
    local tool=$1 fn=$2 commands=$3
    echo "# bash completion for $tool; generated by completions/generate.sh"
    echo "$fn() {"
    cat <<'BASH'
    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
    # bash splits "--option=value" at "=": the option is two words back.
    if [[ $cur == = ]]; then
        cur=
    elif [[ $prev == = && $COMP_CWORD -ge 2 ]]; then
        prev=${COMP_WORDS[COMP_CWORD-2]}
    fi
BASH
    if [ -z "$commands" ]; then
        bash_context "${rows[-]}" "" "    "
    else
        local skip
        skip=$(value_options "${rows[-]}")
        cat <<BASH
    # The first word that names a subcommand, and is no option's value,
    # starts it; the options after it are the subcommand's own.
    local command='' i=1
    while ((i < COMP_CWORD)); do
        case \${COMP_WORDS[i]} in
BASH
        [ -z "$skip" ] || cat <<BASH
        $skip)
            [[ \${COMP_WORDS[i+1]} == = ]] && ((++i))
            ((++i)) ;;
BASH
        cat <<BASH
        ${commands// /|}) command=\${COMP_WORDS[i]}; break ;;
        esac
        ((++i))
    done
    case \$command in
BASH
        local command
        for command in $commands; do
            echo "    $command)"
            bash_context "${rows[$command]}" "" "        "
            echo "        ;;"
        done
        echo "    *)"
        bash_context "${rows[-]}" "$commands" "        "
        echo "        ;;"
        echo "    esac"
    fi
    echo "}"
    echo "complete -o filenames -F $fn $tool"
}

# zsh: what _arguments offers for a VALUE.
zsh_offer() {
    case $1 in
    file) echo "_files" ;;
    dir) echo "_files -/" ;;
    words) echo "($2)" ;;
    *) echo " " ;; # a message alone: any text will do
    esac
}

# zsh: an _arguments call, one spec a line for each option name, then the
# inputs: inputs_action when given, else what the rows say.
zsh_arguments() {
    local rows=$1 inputs_action=${2:-} indent=$3
    local kind names value label words repeat excludes desc name
    local star exclusion action spec specs=()
    while IFS=$'\t' read -r kind names value label words repeat excludes \
        desc; do
        [ "$desc" = - ] && desc=""
        # A quote in a quoted string: close it, add \', reopen it.
        desc=${desc//\'/\'\\\'\'}
        desc=${desc//[/\\[}
        desc=${desc//]/\\]}
        action=""
        [ "$value" = none ] || action=":$label:$(zsh_offer "$value" "$words")"
        case $kind in
        option)
            star=""
            [ "$repeat" = 1 ] && star="*"
            exclusion=""
            [ "$excludes" = - ] || exclusion="($excludes)"
            for name in $names; do
                specs+=("'$exclusion$star${name}[$desc]$action'")
            done
            ;;
        argument)
            [ -n "$inputs_action" ] || inputs_action=${action#:*:}
            ;;
        esac
    done <<<"$rows"
    [ -z "$inputs_action" ] || specs+=("'*: :$inputs_action'")
    printf '%s_arguments' "$indent"
    for spec in "${specs[@]}"; do
        printf ' \\\n%s  %s' "$indent" "$spec"
    done
    printf '\n'
}

write_zsh() {
    local tool=$1 fn=$2 commands=$3
    echo "#compdef $tool"
    echo "# zsh completion for $tool; generated by completions/generate.sh"
    if [ -z "$commands" ]; then
        zsh_arguments "${rows[-]}" "" ""
        return
    fi
    local kind names value label words repeat excludes desc command skip
    echo "${fn}_inputs() {"
    echo "    local -a commands=("
    while IFS=$'\t' read -r kind names value label words repeat excludes \
        desc; do
        printf "        '%s:%s'\n" "$names" "${desc//\'/\'\\\'\'}"
    done < <(rows_of_kind command "${rows[-]}")
    echo "    )"
    echo "    _describe -t commands subcommand commands"
    echo "    _files"
    echo "}"
    skip=$(value_options "${rows[-]}")
    cat <<'ZSH'
# The first word that names a subcommand, and is no option's value,
# starts it; the options after it are the subcommand's own.
local command i=2
while (( i < CURRENT )); do
    case ${words[i]} in
ZSH
    [ -z "$skip" ] || echo "    $skip) (( ++i )) ;;"
    echo "    ${commands// /|}) command=\${words[i]}; break ;;"
    echo "    esac"
    echo "    (( ++i ))"
    echo "done"
    echo "case \$command in"
    for command in $commands; do
        echo "$command)"
        echo "    words=(\"\${(@)words[i,-1]}\")"
        echo "    (( CURRENT -= i - 1 ))"
        zsh_arguments "${rows[$command]}" "" "    "
        echo "    ;;"
    done
    echo "*)"
    zsh_arguments "${rows[-]}" "${fn}_inputs" "    "
    echo "    ;;"
    echo "esac"
}

# fish: one complete line for each option, and each subcommand; condition
# says in which context it applies.
fish_lines() {
    local tool=$1 rows=$2 condition=$3
    local kind names value label words repeat excludes desc name flags
    while IFS=$'\t' read -r kind names value label words repeat excludes \
        desc; do
        [ "$desc" = - ] && desc=""
        desc=${desc//\'/\\\'} # fish reads \' as a quote in quotes
        case $value in
        none) flags="" ;;
        file) flags=" -r -F" ;;
        dir) flags=" -x -a '(__fish_complete_directories)'" ;;
        words) flags=" -x -a '$words'" ;;
        *) flags=" -x" ;;
        esac
        case $kind in
        option)
            printf 'complete -c %s%s' "$tool" "$condition"
            for name in $names; do
                if [[ $name == --* ]]; then
                    printf ' -l %s' "${name#--}"
                else
                    printf ' -s %s' "${name#-}"
                fi
            done
            printf "%s -d '%s'\n" "$flags" "$desc"
            ;;
        command)
            printf "complete -c %s%s -a %s -d '%s'\n" "$tool" "$condition" \
                "$names" "$desc"
            ;;
        esac
    done <<<"$rows"
}

write_fish() {
    local tool=$1 commands=$2 command
    echo "# fish completion for $tool; generated by completions/generate.sh"
    if [ -z "$commands" ]; then
        fish_lines "$tool" "${rows[-]}" ""
        return
    fi
    echo "set -l commands $commands"
    fish_lines "$tool" "${rows[-]}" \
        " -n \"not __fish_seen_subcommand_from \$commands\""
    for command in $commands; do
        fish_lines "$tool" "${rows[$command]}" \
            " -n '__fish_seen_subcommand_from $command'"
    done
}

for dir in "$tools_dir"/*/; do
    tool=$(basename "$dir")
    [ -x "$build/$tool" ] || continue
    # The rows of each page, by subcommand; rows[-] holds the tool's own,
    # as no subcommand name starts with "-". The writers read them here.
    declare -A rows=()
    rows[-]=$(entries_of "$tool")
    commands=$(rows_of_kind command "${rows[-]}" | cut -f2 | tr '\n' ' ' |
        sed 's/ $//')
    for command in $commands; do
        rows[$command]=$(with_tool_options \
            "$(entries_of "$tool" "$command")" "${rows[-]}")
    done
    fn=_$(echo "$tool" | tr '-' '_')

    write_bash "$tool" "$fn" "$commands" >"$out/bash/$tool"
    write_zsh "$tool" "$fn" "$commands" >"$out/zsh/_$tool"
    write_fish "$tool" "$commands" >"$out/fish/$tool.fish"
    unset rows
done
