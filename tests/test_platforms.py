"""Platform detection on fake /proc, /sys and /dev trees."""
import pytest

from lab.errors import PlatformError
from lab.platforms import BOCHS_BIOS, BOCHS_VGABIOS, PLATFORMS, choose, detect, read_host

INTEL, AMD = "GenuineIntel", "AuthenticAMD"
BOTH_MODELS = frozenset({"corei7_skylake_x", "ryzen"})


def fake_root(tmp_path, vendor=INTEL, flags="fpu vmx", modules=None, kvm=True, bios=True):
    """A fake root; `modules` maps a module name to its `nested` value (None: no parameter)."""
    modules = {"kvm": None, "kvm_intel": "Y"} if modules is None else modules
    (tmp_path / "proc").mkdir()
    (tmp_path / "proc/cpuinfo").write_text(
        f"processor\t: 0\nvendor_id\t: {vendor}\nflags\t\t: {flags}\n\n")
    for name, nested in modules.items():
        params = tmp_path / "sys/module" / name / "parameters"
        params.mkdir(parents=True)
        if nested is not None:
            (params / "nested").write_text(nested + "\n")
    if kvm:
        (tmp_path / "dev").mkdir()
        (tmp_path / "dev/kvm").write_text("")
    if bios:
        for rel in (BOCHS_BIOS, BOCHS_VGABIOS):
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / rel).write_bytes(b"\0")
    return tmp_path


def platforms(root, qemu=True, bochs=True, cpus=BOTH_MODELS):
    tools = {"qemu-system-x86_64": "/usr/bin/qemu-system-x86_64" if qemu else None,
             "bochs-bin": "/usr/bin/bochs-bin" if bochs else None}
    host = read_host(root, which=tools.get, bochs_cpus=lambda binary: cpus)
    return {p.name: p for p in detect(host)}


def test_intel_nested_kvm_runs_vmx_not_svm(tmp_path):
    kvm = platforms(fake_root(tmp_path))["qemu-kvm"]
    assert kvm.can("vmx")
    assert not kvm.can("svm")
    assert "KVM on an intel host cannot nest svm" in kvm.backends["svm"].why


def test_amd_nested_kvm_runs_svm(tmp_path):
    root = fake_root(tmp_path, vendor=AMD, flags="fpu svm", modules={"kvm": None, "kvm_amd": "1"})
    kvm = platforms(root)["qemu-kvm"]
    assert kvm.can("svm")
    assert not kvm.can("vmx")


def test_kvm_pvm_host_without_vmx_flag_refuses_both(tmp_path):
    root = fake_root(tmp_path, flags="fpu sse2", modules={"kvm": None, "kvm_pvm": None})
    kvm = platforms(root)["qemu-kvm"]
    for backend in ("vmx", "svm"):
        assert not kvm.can(backend)
        assert "no nesting" in kvm.backends[backend].why
        assert "kvm_pvm" in kvm.backends[backend].why


def test_nested_off_tells_how_to_turn_it_on(tmp_path):
    root = fake_root(tmp_path, modules={"kvm": None, "kvm_intel": "N"})
    kvm = platforms(root)["qemu-kvm"]
    assert not kvm.can("vmx")
    assert "modprobe kvm_intel nested=1" in kvm.backends["vmx"].why


def test_missing_dev_kvm_is_the_reason(tmp_path):
    kvm = platforms(fake_root(tmp_path, kvm=False))["qemu-kvm"]
    assert not kvm.can("vmx")
    assert kvm.backends["vmx"].why == "no /dev/kvm on this host"


def test_missing_qemu_refuses_tcg_and_kvm_with_install_hint(tmp_path):
    ps = platforms(fake_root(tmp_path), qemu=False)
    for name in ("qemu-tcg", "qemu-kvm"):
        for backend in ("vmx", "svm"):
            assert not ps[name].can(backend)
            assert "apt-get install qemu-system-x86" in ps[name].backends[backend].why
    assert ps["qemu-tcg"].backends["svm"].installable


def test_a_platform_out_of_reach_is_not_installable(tmp_path):
    root = fake_root(tmp_path, flags="fpu sse2", modules={"kvm": None, "kvm_pvm": None})
    ps = platforms(root)
    assert not ps["qemu-kvm"].backends["vmx"].installable  # no nesting: not gradable here
    assert not ps["qemu-tcg"].backends["vmx"].installable  # TCG has no VMX at all


def test_tcg_runs_svm_but_not_vmx(tmp_path):
    tcg = platforms(fake_root(tmp_path))["qemu-tcg"]
    assert tcg.can("svm")
    assert not tcg.can("vmx")
    assert tcg.backends["vmx"].why == "QEMU TCG does not emulate VMX"


def test_bochs_with_both_models_runs_both(tmp_path):
    bochs = platforms(fake_root(tmp_path))["bochs"]
    assert bochs.can("vmx") and bochs.can("svm")


def test_missing_bochs_refuses_with_install_hint(tmp_path):
    bochs = platforms(fake_root(tmp_path), bochs=False)["bochs"]
    assert not bochs.can("svm")
    assert "apt-get install bochs" in bochs.backends["svm"].why
    assert bochs.backends["svm"].installable  # a grade without it is incomplete, not smaller


@pytest.mark.parametrize("missing", [BOCHS_BIOS, BOCHS_VGABIOS])
def test_missing_bochs_bios_refuses(tmp_path, missing):
    root = fake_root(tmp_path)
    (root / missing).unlink()
    bochs = platforms(root)["bochs"]
    assert not bochs.can("svm")
    assert "BIOS" in bochs.backends["svm"].why


def test_bochs_without_ryzen_model_refuses_svm_naming_it(tmp_path):
    bochs = platforms(fake_root(tmp_path), cpus=frozenset({"corei7_skylake_x"}))["bochs"]
    assert bochs.can("vmx")
    assert not bochs.can("svm")
    assert bochs.backends["svm"].why == ("this Bochs has no CPU model ryzen "
                                         "(install Bochs 2.7 or newer)")
    assert bochs.backends["svm"].installable


def test_choose_unknown_platform_names_the_known_ones(tmp_path):
    ps = list(platforms(fake_root(tmp_path)).values())
    with pytest.raises(PlatformError, match="unknown platform 'nosuch'") as err:
        choose(ps, "nosuch", "auto")
    assert all(name in str(err.value) for name in PLATFORMS)


def test_choose_unknown_backend(tmp_path):
    ps = list(platforms(fake_root(tmp_path)).values())
    with pytest.raises(PlatformError, match="unknown backend 'arm'"):
        choose(ps, None, "arm")


def test_choose_named_platform_that_cannot_run_backend_gives_reason(tmp_path):
    ps = list(platforms(fake_root(tmp_path)).values())
    with pytest.raises(PlatformError, match="QEMU TCG does not emulate VMX"):
        choose(ps, "qemu-tcg", "vmx")


def test_choose_auto_prefers_qemu_kvm(tmp_path):
    ps = list(platforms(fake_root(tmp_path)).values())
    p, backend = choose(ps, None, "auto")
    assert (p.name, backend) == ("qemu-kvm", "vmx")


def test_choose_without_nesting_takes_tcg_for_svm_and_bochs_for_vmx(tmp_path):
    root = fake_root(tmp_path, flags="fpu", modules={"kvm": None, "kvm_pvm": None})
    ps = list(platforms(root).values())
    assert [(p.name, b) for p, b in (choose(ps, None, "svm"), choose(ps, None, "vmx"))] == [
        ("qemu-tcg", "svm"), ("bochs", "vmx")]


def test_choose_auto_backend_on_tcg_only_host_is_svm(tmp_path):
    root = fake_root(tmp_path, kvm=False)
    ps = list(platforms(root, bochs=False).values())
    p, backend = choose(ps, None, "auto")
    assert (p.name, backend) == ("qemu-tcg", "svm")


def test_choose_with_nothing_usable_raises(tmp_path):
    ps = list(platforms(fake_root(tmp_path, kvm=False), qemu=False, bochs=False).values())
    with pytest.raises(PlatformError, match="no platform on this host can run svm"):
        choose(ps, None, "svm")
