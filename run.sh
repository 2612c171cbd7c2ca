#!/usr/bin/env bash
# The lab's one entry point on a fresh Debian 12 machine (as root): it installs what is
# missing (Debian packages, then a Python environment in .venv), and runs the asked-for job.
#   ./run.sh demo   build, then boot the reference hypervisor on every platform here
#   ./run.sh test   the whole test suite: unit tests and the graded scenarios
#   ./run.sh lab ...  any lab command (CI's class grading: ./run.sh lab class course.yaml)
# All are idempotent: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")"

DEBS=(qemu-system-x86 qemu-utils bochs bochsbios vgabios grub-pc-bin grub-common xorriso
      mtools gcc g++ make cmake binutils gdb python3 python3-venv python3-pip rsync
      clang libclang-rt-14-dev cpio)

# npm installs gitlab-ci-local for the class-grading CI test; a Node.js of the machine's own
# (not Debian's) is kept.
command -v npm >/dev/null || DEBS+=(nodejs npm)

missing=()
for pkg in "${DEBS[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
        || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "run.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Python environment, reinstalled only when pyproject.toml changes.
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
    [ -x .venv/bin/python ] || python3 -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -e '.[test]'
    rm -f .venv/.installed-*
    touch "$stamp"
fi

job=${1:-demo}
shift || true
case "$job" in
    demo) exec .venv/bin/lab demo "$@" ;;
    test)
        # The lab's own CI grades the m4 SWEB scenarios on the course's SWEB build beside it.
        sweb=()
        # (one word: pytest reads a separate value as a test path before it knows the option)
        [ -d ../shared/sweb ] && sweb=("--sweb=$(realpath ../shared/sweb)")
        [ -d ../shared/kvm-unit-tests ] &&
            sweb+=("--kvm-unit-tests=$(realpath ../shared/kvm-unit-tests)")
        exec .venv/bin/pytest -n 2 --all-platforms "${sweb[@]}" "$@" ;;
    lab) exec .venv/bin/lab "$@" ;;
    *) echo "run.sh: unknown job '$job' (use demo, test or lab)" >&2; exit 2 ;;
esac
