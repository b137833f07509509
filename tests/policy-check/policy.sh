# Helpers for policy-check tests: run with every shipped policy, with
# example.com as the local domain, on a message given by path.
: >"$work/empty.toml"
shipped=()
for p in "$share"/policies/*.toml; do shipped+=(--policy "$p"); done

# judge FILE [ARGS...]: JSON verdict line for FILE with the shipped
# policies; $local names the local domain (example.com unless set).
judge() {
    local file=$1
    shift
    run policy-check --json --config "$work/empty.toml" "${shipped[@]}" \
        --local-domain "${local:-example.com}" "$@" "$file"
}

# rules: the ids of the rules that fired, as a compact JSON list.
rules() {
    jq -c '[.verdicts[0].rules[].rule]' <"$out"
}
