#!/usr/bin/env bash
# Distributed index build: tools/dist_build_index.sh CONFIG CHECKPOINT NUM_PROCS [build_index.py args...]
# Runs NUM_PROCS processes on this node (one per GPU with --device cuda, or gloo processes on a
# CPU-only machine); rank 0 merges the chunks of every process into one index. Several nodes:
# set NNODES, NODE_RANK, MASTER_ADDR and PORT, with --out on a shared file system.
set -euo pipefail
CONFIG=$1
CHECKPOINT=$2
NPROC=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-127.0.0.1}
here=$(cd "$(dirname "$0")" && pwd)
PYTHON=${PYTHON:-$([ -x "$here/../.venv/bin/python" ] && echo "$here/../.venv/bin/python" || echo python)}

exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" --node_rank="$NODE_RANK" --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$NPROC" --master_port="$PORT" \
    "$here/build_index.py" "$CONFIG" "$CHECKPOINT" --launcher pytorch "${@:4}"
