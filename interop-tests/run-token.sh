# Sourced by run-all.sh and otp-matrix.sh: marks every process a run starts and kills them all
# when the run ends, however it ends.
#
# Each process started after this file is sourced inherits ERLNODE_RUN_TOKEN in its environment
# (BEAM nodes, the epmd daemons they start, chrooted or not); at exit every process that carries
# this run's token is killed by pid. A token set by an enclosing run is kept, so a nested script
# leaves the cleanup to the outermost one.

if [ -z "${ERLNODE_RUN_TOKEN:-}" ]; then
    export ERLNODE_RUN_TOKEN="erlnode-run-$$-$(date +%s%N)"
    erlnode_run_cleanup() {
        local env pid pids=()
        for env in /proc/[0-9]*/environ; do
            pid=${env#/proc/}
            pid=${pid%/environ}
            [ "$pid" = $$ ] && continue
            if { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qxF "ERLNODE_RUN_TOKEN=$ERLNODE_RUN_TOKEN"; then
                pids+=("$pid")
            fi
        done
        if [ ${#pids[@]} -gt 0 ]; then
            kill -TERM "${pids[@]}" 2>/dev/null
            sleep 1
            kill -KILL "${pids[@]}" 2>/dev/null
        fi
        return 0
    }
    trap erlnode_run_cleanup EXIT
    trap 'exit 130' INT TERM
fi
