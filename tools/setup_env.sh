#!/usr/bin/env bash
# Build (or reuse) the ps_net Python environment outside the clone and link it as .venv.
#
# The environment lives in ${PSNET_CACHE:-~/.cache/ps_net}/env-<key>, where <key> hashes the
# requirements files, the Python version, the torch pin and the mmcv ops flavour (cpu / cuda).
# mmcv 2.1.0 has no wheel for the pinned torch, so it is built from source with its ops; the
# built wheel is cached under wheels/mmcv-<ver>-torch<ver>-<flavour>-py<ver>/ so that it is
# never reused with another torch, and a requirements change that keeps torch skips the
# 15-minute build. Idempotent: a finished environment (marker file .complete) costs seconds.
#
# Usage: tools/setup_env.sh            (from the repository root; `make setup` calls it)
# Env:   PSNET_CACHE   cache root (default ~/.cache/ps_net)
#        PYTHON        interpreter to build the venv from (default python3.11 or python3)
#        FORCE_CUDA=1  build mmcv with CUDA ops (GPU users); changes the key
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
cache=${PSNET_CACHE:-$HOME/.cache/ps_net}
python=${PYTHON:-$(command -v python3.11 || command -v python3)}
mmcv_version=2.1.0
flavour=cpu
[ "${FORCE_CUDA:-0}" = "1" ] && flavour=cuda

say() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

torch_pin=$(sed -n 's/^torch==\([^ ]*\).*/\1/p' requirements/runtime.txt)
[ -n "$torch_pin" ] || { echo "requirements/runtime.txt: expected an exact 'torch==X' pin" >&2; exit 2; }
py_version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# Bump when a change to this script changes what ends up in the environment.
recipe=1
key=$(cat requirements/build.txt requirements/runtime.txt requirements/deploy.txt requirements/mmpose.txt \
        requirements/gradcam.txt requirements/tests.txt \
        | { cat; echo "recipe$recipe py$py_version torch$torch_pin mmcv$mmcv_version $flavour"; } \
      | sha256sum | cut -c1-16)
env_dir=$cache/env-$key
wheel_dir=$cache/wheels/mmcv-$mmcv_version-torch$torch_pin-$flavour-py$py_version

link_venv() {
  if [ -L .venv ] || [ ! -e .venv ]; then
    ln -sfn "$env_dir" .venv
  else
    echo ".venv exists and is not a link made by this script; move it away and rerun" >&2
    exit 2
  fi
}

check_env() {
  "$env_dir/bin/python" - <<'PY'
import mmcv, mmcv.ops, torch, torchvision  # noqa: F401
from mmcv.ops import RoIAlign, nms
import mmdet.models, mmpose.models, mmpretrain.models, faiss, timm, onnxruntime, pymilvus  # noqa: F401
boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 10., 10.], [20., 20., 30., 30.]])
_, keep = nms(boxes, torch.tensor([0.9, 0.8, 0.7]), 0.5)
assert keep.tolist() == [0, 2], keep
feat = torch.arange(16.).view(1, 1, 4, 4)
out = RoIAlign((2, 2), 1.0, 0, aligned=True)(feat, torch.tensor([[0., 0., 0., 4., 4.]]))
assert out.shape == (1, 1, 2, 2), out.shape
PY
}

# The environment is shared by every clone with the same requirements; ps_net is installed
# editable, so point it at this clone when another clone installed it last.
install_self() {
  local here
  here=$("$env_dir/bin/python" -c 'import ps_net, os; print(os.path.dirname(ps_net.__file__))' 2>/dev/null || true)
  if [ "$here" != "$repo/projects/ps_net" ]; then
    "$env_dir/bin/python" -m pip --disable-pip-version-check install -q --no-deps --no-build-isolation -e "$repo"
    "$env_dir/bin/python" -c "import ps_net"
  fi
}

if [ -f "$env_dir/.complete" ] && check_env 2>/dev/null; then
  install_self
  link_venv
  say "environment up to date: .venv -> $env_dir"
  exit 0
fi

start=$(date +%s)
say "building environment $env_dir (torch $torch_pin, mmcv $mmcv_version $flavour, python $py_version)"
mkdir -p "$cache" "$wheel_dir"
rm -f "$env_dir/.complete"
[ -x "$env_dir/bin/python" ] || "$python" -m venv "$env_dir"
pip=("$env_dir/bin/python" -m pip --disable-pip-version-check)

say "step 1/5: pip, build tools"
"${pip[@]}" install -q --upgrade pip==25.1.1
"${pip[@]}" install -q -r requirements/build.txt

say "step 2/5: torch, torchvision, the runtime and deploy requirements (large download on a cold cache)"
if ! "${pip[@]}" install --progress-bar off -r requirements/runtime.txt -r requirements/deploy.txt 2>&1 \
    | { grep --line-buffered -E '^(Collecting|Successfully|ERROR)' || true; } | sed 's/^/    /'; then
  echo "installing requirements/runtime.txt + deploy.txt failed (see the pip output above)" >&2
  exit 1
fi

say "step 3/5: mmpose (without chumpy) and test requirements"
"${pip[@]}" install -q --no-deps -r requirements/mmpose.txt
"${pip[@]}" install -q --no-deps -r requirements/gradcam.txt
"${pip[@]}" install -q -r requirements/tests.txt

build_mmcv() {
  local log=$cache/mmcv-build-$flavour.log
  say "building mmcv $mmcv_version from source with ops against torch $torch_pin (about 15 min on 2 cores; log: $log)"
  rm -f "$wheel_dir"/mmcv-*.whl
  local src=$cache/src
  rm -rf "$src" && mkdir -p "$src"
  "${pip[@]}" download -q --no-deps --no-binary :all: --no-cache-dir -d "$src" "mmcv==$mmcv_version"
  tar -xzf "$src/mmcv-$mmcv_version.tar.gz" -C "$src"
  # torch >= 2.13 headers need C++20, but mmcv 2.1.0's setup.py hard-codes -std=c++17 for
  # every torch > 1.12.1 (and torch adds its own -std only when none is given): raise it.
  if "$env_dir/bin/python" -c "import sys, torch; v = tuple(int(x) for x in torch.__version__.split('+')[0].split('.')[:2]); sys.exit(v < (2, 13))"; then
    sed -i "s/'-std=c++17'/'-std=c++20'/" "$src/mmcv-$mmcv_version/setup.py"
    grep -q "'-std=c++20'" "$src/mmcv-$mmcv_version/setup.py" || { echo "could not set C++20 in mmcv setup.py" >&2; exit 1; }
  fi
  (
    export MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)}
    "${pip[@]}" wheel -v --no-build-isolation --no-deps --no-cache-dir \
      -w "$wheel_dir" "$src/mmcv-$mmcv_version" >"$log" 2>&1
  ) &
  local pid=$! t0
  t0=$(date +%s)
  while kill -0 "$pid" 2>/dev/null; do
    sleep 30
    local step
    step=$(grep -oE '\[[0-9]+/[0-9]+\]' "$log" 2>/dev/null | tail -n 1 || true)
    say "    mmcv build: ${step:-preparing} compiled, $(( $(date +%s) - t0 )) s"
  done
  wait "$pid" || { tail -n 40 "$log" >&2; echo "mmcv build failed; full log: $log" >&2; exit 1; }
}

say "step 4/5: mmcv $mmcv_version with ops"
if ! ls "$wheel_dir"/mmcv-*.whl >/dev/null 2>&1; then
  build_mmcv
else
  say "    reusing the mmcv wheel built for torch $torch_pin ($flavour): $wheel_dir"
fi
"${pip[@]}" install -q --no-deps --force-reinstall "$wheel_dir"/mmcv-*.whl
if ! check_env; then
  say "    mmcv.ops does not import or run with this torch: rebuilding"
  build_mmcv
  "${pip[@]}" install -q --no-deps --force-reinstall "$wheel_dir"/mmcv-*.whl
  check_env
fi

say "step 5/5: ps_net itself (editable)"
install_self

touch "$env_dir/.complete"
link_venv
say "environment ready in $(( $(date +%s) - start )) s: .venv -> $env_dir"
