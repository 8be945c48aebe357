#!/usr/bin/python3
"""The firmware core on a Cortex-M4F: cross-builds firmware_under_test/target with
cmake/arm-none-eabi.cmake and checks the images it links (the CTest test target.cortex_m4f_build).

Fails when the cross build fails (warnings are errors), when an image contains the heap (malloc,
free, operator new/delete...), the exception-handling run-time, stdio or the exit machinery, when
it lacks one of the entry points the rig drives, when the core's code has a fused multiply-add
(the host would not round alike), when the power monitor's image is over its budget (flash <= 64
KiB, RAM <= 16 KiB with the reserved stack), or when the worst-case stack depth found in its code
does not fit the stack it reserves.

  check_image.py --source-dir REPO --build-dir BUILD/target-m4f [--cmake cmake] [--generator G]
"""
import argparse
import os
import re
import subprocess
import sys
import time

FLASH_BUDGET = 64 * 1024
RAM_BUDGET = 16 * 1024
BUDGETED_IMAGE = "amprig_monitor"
IMAGES = {
    "amprig_monitor": "the power monitor: firmware application, metering, diagnostics, settings, "
                      "connectivity",
    "amprig_balancer": "the load balancer alone (no budget: not the monitor's code)",
}
# Entry points each image must keep (demangled, without arguments): what the rig drives. An image
# the linker has trimmed of them would measure less than ships.
REQUIRED = {
    "amprig_monitor": [
        "Firmware::start", "Firmware::stop", "Firmware::poll", "Firmware::reboot",
        "Firmware::apply_settings", "Firmware::apply_wifi", "Firmware::factory_reset",
        "Firmware::on_half_complete", "Firmware::on_full_complete", "Metering::process",
        "Metering::publish", "Diagnostics::update", "Connectivity::poll", "encode_telemetry",
        "SettingsStore::save", "WifiStore::save", "metering_config_for",
    ],
    "amprig_balancer": ["balancer::Balancer::step", "balancer::check_settings"],
}

# What no image may contain. The allocator is also a link error (the build wraps it and leaves
# the wrappers undefined); this catches what --wrap cannot see and says which group it was.
FORBIDDEN = [
    ("the heap", re.compile(
        r"(malloc|free|calloc|realloc|memalign|aligned_alloc|posix_memalign|valloc|pvalloc"
        r"|_malloc_r|_free_r|_calloc_r|_realloc_r|_memalign_r|_sbrk|_sbrk_r|__wrap_\w+"
        r"|_Znw\w*|_Zna\w*|_ZdlPv\w*|_ZdaPv\w*)")),
    ("exception handling", re.compile(
        r"(__cxa_throw|__cxa_allocate_exception|__cxa_begin_catch|__cxa_end_catch|__cxa_rethrow"
        r"|__cxa_call_unexpected|__cxa_demangle|__gxx_personality_v0|__aeabi_unwind_cpp_pr[0-2]"
        r"|_Unwind_\w+|__gnu_unwind_\w+|_ZSt9terminatev|_ZSt\d*__throw_\w+)")),
    ("stdio", re.compile(
        r"(_?v?[fsd]?n?i?printf|_v?[fsd]?n?i?printf_r|_sv?f?i?printf_r|_vfi?printf_r|puts|_puts_r"
        r"|fputs|_fputs_r|fwrite|_fwrite_r|putchar|_putchar_r|__sfvwrite_r|__swsetup_r|_ZSt4cout"
        r"|_ZSt4cerr)")),
    ("the exit machinery", re.compile(
        r"(exit|_exit|atexit|__cxa_atexit|__aeabi_atexit|__register_exitproc|abort|raise|_kill)")),
]

# Exception entry on a Cortex-M4F pushes 8 words, or 26 when the interrupted code has an FPU
# context (S0-S15, FPSCR and a reserved word), plus a word of padding to keep 8-byte alignment.
EXCEPTION_FRAME_BYTES = 26 * 4 + 4


def run(cmd, **kwargs):
    return subprocess.run(cmd, check=False, text=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, **kwargs)


def tool(cache, name):
    """A cross tool next to the compiler the build used."""
    with open(cache, encoding="utf-8") as f:
        for line in f:
            if line.startswith("CMAKE_CXX_COMPILER:"):
                gxx = line.split("=", 1)[1].strip()
                return gxx[: -len("g++")] + name
    return "arm-none-eabi-" + name


def build(args):
    build_dir = args.build_dir
    first = not os.path.exists(os.path.join(build_dir, "CMakeCache.txt"))
    configure = [args.cmake, "-S", os.path.join(args.source_dir, "firmware_under_test", "target"),
                 "-B", build_dir,
                 "-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(args.source_dir, "cmake",
                                                          "arm-none-eabi.cmake")]
    if first and args.generator:
        configure += ["-G", args.generator]
    started = time.monotonic()
    for step, cmd in (("configure", configure),
                      ("build", [args.cmake, "--build", build_dir, "-j", str(args.jobs)])):
        result = run(cmd)
        if result.returncode != 0:
            print(result.stdout)
            print(f"FAIL: the Cortex-M4F {step} failed: {' '.join(cmd)}")
            sys.exit(1)
    print(f"cross build (arm-none-eabi, Cortex-M4F hard float) in {build_dir}: "
          f"{time.monotonic() - started:.1f} s")


def defined_symbols(nm, elf):
    """({name: address}, {name: size}) of every symbol the image defines."""
    symbols, sized = {}, {}
    for line in run([nm, "-S", elf]).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            symbols[parts[2]] = int(parts[0], 16)
        elif len(parts) == 4:
            symbols[parts[3]] = int(parts[0], 16)
            sized[parts[3]] = int(parts[1], 16)
    return symbols, sized


def archive_members(map_text):
    """{archive member: the reference that pulled it into the link}, from the map file."""
    section = map_text.split("Archive member included to satisfy reference by file (symbol)", 1)
    section = section[-1].split("Discarded input sections", 1)[0]
    members, member = {}, None
    for line in section.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            parts = re.split(r"\s{2,}", line.strip(), maxsplit=1)
            member = parts[0]
            if len(parts) == 2:
                members[member] = parts[1]
        elif member:
            members[member] = line.strip()
    return members


def origin(path):
    """Groups an input file of the link."""
    name = os.path.basename(path)
    if "libamprig_firmware.a" in path:
        return "firmware core: " + re.sub(r"^.*\((.*)\.cpp\.obj\)$", r"\1", name)
    if "libm.a" in path:
        return "libm (double maths)"
    if "libgcc.a" in path:
        if re.search(r"(df|_d2|dd|fixunsdf|fixdf|floatdi|floatundi)", name):
            return "libgcc: soft-float double"
        return "libgcc: other"
    if "libc_nano.a" in path or "libg_nano.a" in path:
        return "newlib-nano libc"
    if "libstdc++" in path or "libsupc++" in path:
        return "libstdc++"
    return "start-up, stubs, main"


def flash_by_origin(map_text):
    """Bytes per origin of every input section placed in flash (.text, .ARM.exidx, .data's
    initial values)."""
    body = map_text.split("Linker script and memory map", 1)[1]
    flash = {}
    output = None
    pending = None
    for line in body.splitlines():
        m = re.match(r"^(\.\S+)\s", line) or re.match(r"^(\.\S+)$", line)
        if m:
            output = m.group(1)
            continue
        m = re.match(r"^ (\.\S+|COMMON)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.\S+|COMMON)?\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$", line)
        if not m or (m.group(1) is None and pending is None):
            pending = None
            continue
        pending = None
        size = int(m.group(3), 16)
        if size == 0 or output is None:
            continue
        where = origin(m.group(4))
        if output in (".text", ".ARM.exidx", ".ARM.extab", ".data"):
            flash[where] = flash.get(where, 0) + size
    return flash


def fused_multiply_adds(objdump, elf):
    """The core's functions (amprig::fw) that use a fused or chained multiply-add."""
    found = set()
    current = None
    for line in run([objdump, "-d", "--no-show-raw-insn", elf]).stdout.splitlines():
        m = re.match(r"^[0-9a-f]+ <(.+)>:$", line)
        if m:
            current = m.group(1)
        elif current and re.match(r"_ZN?K?6amprig2fw", current) and \
                re.match(r"^\s+[0-9a-f]+:\s+(vfma|vfms|vfnma|vfnms|vmla|vmls|vnmla|vnmls)\b", line):
            found.add(current)
    return found


def section_sizes(size_tool, elf):
    sizes = {}
    for line in run([size_tool, "-A", elf]).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            sizes[parts[0]] = int(parts[1])
    berkeley = run([size_tool, "-B", elf]).stdout.splitlines()[1].split()
    text, data, bss = (int(x) for x in berkeley[:3])
    return sizes, text, data, bss


# --- Worst-case stack depth, from the disassembly ------------------------------------------------

REGISTER_LIST = re.compile(r"\{([^}]*)\}")
# Plain and conditional branches: to the start of another function, they are tail calls.
REG = r"r\d+|ip|lr|sl|fp"
# Instructions that write their first two operands.
TWO_DESTINATIONS = re.compile(r"[us]mull|[us]mlal|umaal|smlal\w*|ldrexd|vmov")
# Instructions whose first operand is not a register they write.
NOT_A_WRITE = re.compile(
    r"b|bl|blx|bx|cbn?z|str\w*|cmp|cmn|tst|teq|it\w*|push|stm\w*|vst\w*|vcmp\w*|pld")
BRANCH = re.compile(r"b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al)?")


def count_registers(text):
    m = REGISTER_LIST.search(text)
    if not m:
        return 0
    count = 0
    for part in m.group(1).split(","):
        part = part.strip()
        r = re.match(r"([a-z]+)(\d+)-[a-z]+(\d+)$", part)
        count += int(r.group(3)) - int(r.group(2)) + 1 if r else 1
    return count


def image_words(objdump, elf):
    """{address: value} of every aligned word the image holds in flash and initialised RAM."""
    words = {}
    for line in run([objdump, "-s", "-j", ".text", "-j", ".data", elf]).stdout.splitlines():
        m = re.match(r"^ ([0-9a-f]{4,8}) ((?:[0-9a-f]{1,8} ?){1,4})", line)
        if not m:
            continue
        address = int(m.group(1), 16)
        for i, word in enumerate(m.group(2).split()):
            if len(word) == 8:
                words[address + 4 * i] = int.from_bytes(bytes.fromhex(word), "little")
    return words


def stack_analysis(objdump, elf, symbols, sized):
    """Each function's frame and callees. A virtual call (a slot loaded at offset k, then blx) may
    reach the function in slot k of any vtable, or any function whose address the image holds
    elsewhere (function pointers); any other indirect call may reach every address-taken
    function. That over-estimates and never under-estimates."""
    dis = run([objdump, "-d", "--no-show-raw-insn", elf]).stdout
    # Branch targets: where control flow joins, what a register holds is not known from the
    # instructions just before it.
    joins = {int(t, 16) for t in re.findall(r"\s([0-9a-f]+) <[^>]+\+0x[0-9a-f]+>", dis)}
    funcs = {}
    starts = {}
    current = None
    loaded = {}  # register -> offset of the last load into it
    for line in dis.splitlines():
        m = re.match(r"^([0-9a-f]+) <(.+)>:$", line)
        if m:
            current = m.group(2)
            starts[int(m.group(1), 16)] = current
            funcs[current] = {"frame": 0, "calls": set(), "slots": set(), "any": False,
                              "dynamic": False}
            loaded = {}
            continue
        m = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*([^;@]*)", line)
        if not m or current is None:
            continue
        if int(m.group(1), 16) in joins:
            loaded = {}
        op, arg = m.group(2), m.group(3).strip()
        f = funcs[current]
        base = op.split(".")[0]
        if base in ("pop", "ldm", "ldmia", "ldmdb") or TWO_DESTINATIONS.fullmatch(base):
            for r in re.findall(r"\b(r\d+|ip|lr|sl|fp)\b", arg.split("[")[0] if "{" not in arg
                                else arg[arg.index("{"):]):
                loaded.pop(r, None)
        load = re.match(rf"({REG}), \[({REG}|sp)(?:, #(\d+))?\]$", arg)
        pair = re.match(rf"({REG}), ({REG}), \[({REG}|sp)(?:, #(\d+))?\]$", arg)
        if base == "ldr" and load:
            loaded[load.group(1)] = int(load.group(3) or 0)
        elif base == "ldrd" and pair:
            loaded[pair.group(1)] = int(pair.group(4) or 0)
            loaded[pair.group(2)] = int(pair.group(4) or 0) + 4
        elif re.match(r"(r\d+|ip|lr|sl|fp)\b", arg) and not NOT_A_WRITE.fullmatch(base):
            loaded.pop(arg.split(",")[0], None)  # any other write to the register
        if base == "push" or (base == "stmdb" and arg.startswith("sp!")):
            f["frame"] += 4 * count_registers(arg)
        elif base == "vpush" or (base == "vstmdb" and arg.startswith("sp!")):
            f["frame"] += (8 if re.search(r"\{d", arg) else 4) * count_registers(arg)
        elif base in ("sub", "subw") and re.match(r"sp,\s*(sp,\s*)?#", arg):
            f["frame"] += int(re.search(r"#(\d+)", arg).group(1))
        elif base in ("sub", "subw") and re.match(r"sp,\s*(sp,\s*)?r", arg):
            f["dynamic"] = True
        elif base == "str" and re.search(r"\[sp, #-(\d+)\]!", arg):
            f["frame"] += int(re.search(r"\[sp, #-(\d+)\]!", arg).group(1))
        elif base == "bl":
            t = re.search(r"<([^>+]+)>", arg)
            if t:
                f["calls"].add(t.group(1))
        elif BRANCH.fullmatch(base):
            t = re.search(r"<([^>]+)>", arg)
            if t and "+" not in t.group(1) and t.group(1) != current:
                f["calls"].add(t.group(1))  # a tail call
        elif base == "blx" or (base == "bx" and arg != "lr"):
            if arg in loaded:
                f["slots"].add(loaded[arg])
            else:
                f["any"] = True

    words = image_words(objdump, elf)
    table = next(n for n in sized if n.endswith("g_vector_table"))
    vector = (symbols[table], symbols[table] + sized[table])
    # Entry 0 is the initial stack pointer, entry 1 the reset handler: the rest interrupt.
    handlers = {starts[words[at] - 1] for at in range(vector[0] + 8, vector[1], 4)
                if words.get(at, 0) & 1 and words[at] - 1 in starts}
    vtables = [(symbols[n], sized[n]) for n in sized if n.startswith("_ZTV") and n in symbols]
    in_vtable = lambda at: any(a <= at < a + n for a, n in vtables)  # noqa: E731
    slots, virtual = {}, set()
    for address, size in vtables:
        for offset in range(8, size, 4):  # after the offset-to-top and typeinfo words
            value = words.get(address + offset, 0)
            if value & 1 and (value - 1) in starts:
                slots.setdefault(offset - 8, set()).add(starts[value - 1])
                virtual.add(starts[value - 1])
    # Address-taken functions: Thumb addresses (odd) of function starts anywhere else in the image,
    # except the vector table and the static constructors' table (roots of their own).
    init = (symbols.get("__init_array_start", 0), symbols.get("__init_array_end", 0))
    pointers = set()
    for at, value in words.items():
        if vector[0] <= at < vector[1] or init[0] <= at < init[1] or in_vtable(at):
            continue
        if value & 1 and (value - 1) in starts:
            pointers.add(starts[value - 1])
    everything = pointers | virtual
    for f in funcs.values():
        callees = set()
        for k in f["slots"]:
            callees |= slots.get(k, set()) | (pointers - virtual)
        if f["any"]:
            callees |= everything
        f["indirect"] = callees
    return funcs, handlers


def worst_depth(funcs, root, extra_calls=()):
    """(bytes, path) of the deepest call chain from `root`; raises on recursion."""
    memo = {}
    active = set()

    def depth(name):
        if name in memo:
            return memo[name]
        if name in active:
            raise RuntimeError("recursion through " + name)
        active.add(name)
        f = funcs.get(name, {"frame": 0, "calls": set(), "indirect": set(), "dynamic": False})
        if f["dynamic"]:
            raise RuntimeError(name + " allocates stack dynamically")
        callees = f["calls"] | f["indirect"]
        if name == root:
            callees |= set(extra_calls)
        best = (0, [])
        for c in sorted(callees):
            d = depth(c)
            if d[0] > best[0]:
                best = d
        active.discard(name)
        memo[name] = (f["frame"] + best[0], [name] + best[1])
        return memo[name]

    return depth(root)


def describe(filt, funcs, path):
    """`a (frame) > b (frame) ...`, demangled, without arguments or namespaces."""
    names = run([filt], input="\n".join(path)).stdout.splitlines()
    out = []
    for mangled, name in zip(path, names):
        name = re.sub(r"\(.*$", "", name)
        name = re.sub(r"amprig::(fw::|target::)?", "", name)
        out.append(f"{name} {funcs.get(mangled, {}).get('frame', 0)}")
    return " > ".join(out)


def check_image(args, name, description, cache):
    elf = os.path.join(args.build_dir, name + ".elf")
    map_path = os.path.join(args.build_dir, name + ".map")
    with open(map_path, encoding="utf-8") as f:
        map_text = f.read()
    failures = []

    symbols, sized = defined_symbols(tool(cache, "nm"), elf)
    members = archive_members(map_text)
    for group, pattern in FORBIDDEN:
        found = sorted(s for s in symbols if pattern.fullmatch(s))
        if found:
            why = [f"    {os.path.basename(m)} pulled in by {r}" for m, r in members.items()
                   if any(s in r for s in found)]
            failures.append(f"{name}: contains {group}: {', '.join(found)}\n" + "\n".join(why))

    demangled = {re.sub(r"\(.*$", "", line.split(" ", 2)[2]).replace("amprig::fw::", "")
                 for line in run([tool(cache, "nm"), "-C", elf]).stdout.splitlines()
                 if len(line.split(" ", 2)) == 3}
    missing = [f for f in REQUIRED.get(name, []) if f not in demangled]
    if missing:
        failures.append(f"{name}: the image lacks {', '.join(missing)}")

    # The core must round as the host rig that tests it (firmware_under_test/CMakeLists.txt).
    fused = sorted(fused_multiply_adds(tool(cache, "objdump"), elf))
    if fused:
        names = run([tool(cache, "c++filt")], input="\n".join(fused)).stdout.split("\n")
        failures.append(f"{name}: fused multiply-adds in the core, which the host does not round "
                        f"alike, in: {'; '.join(n for n in names if n)}")

    sizes, text, data, bss = section_sizes(tool(cache, "size"), elf)
    stack = sizes.get(".stack", 0)
    flash = text + data
    ram = data + bss  # bss includes the reserved stack (.stack is NOLOAD)
    budgeted = name == BUDGETED_IMAGE

    def verdict(value, budget):
        if not budgeted:
            return ""
        return f"   target <= {budget // 1024} KiB  " + ("ok" if value <= budget else "OVER")

    print(f"\n{name}.elf: {description}")
    print(f"  arm-none-eabi-size: text {text}  data {data}  bss {bss} "
          f"(.bss {sizes.get('.bss', 0)} + .stack {stack})")
    print(f"  flash {flash:6d} B = {flash / 1024:5.1f} KiB  (text + data)"
          f"{verdict(flash, FLASH_BUDGET)}")
    print(f"  RAM   {ram:6d} B = {ram / 1024:5.1f} KiB  (data + bss: {data + bss - stack} static, "
          f"{stack} stack reserved){verdict(ram, RAM_BUDGET)}")
    if budgeted and flash > FLASH_BUDGET:
        failures.append(f"{name}: flash {flash} B is over the budget of {FLASH_BUDGET} B")
    if budgeted and ram > RAM_BUDGET:
        failures.append(f"{name}: RAM {ram} B is over the budget of {RAM_BUDGET} B")

    flash_parts = flash_by_origin(map_text)
    print("  flash by origin (from the map file):")
    for where, size in sorted(flash_parts.items(), key=lambda kv: -kv[1]):
        print(f"    {size:6d} B  {where}")
    double = sum(v for k, v in flash_parts.items() if k.startswith(("libm", "libgcc: soft")))
    print(f"  double precision in software (libgcc soft-float + libm): {double} B")

    # Worst-case stack: the reset handler's chain (static constructors, main, the poll loop) plus
    # the deepest interrupt handler's, plus one exception frame (equal priorities: no nesting).
    try:
        funcs, handlers = stack_analysis(tool(cache, "objdump"), elf, symbols, sized)
        constructors = [f for f in funcs if f.startswith("_GLOBAL__sub_I_")]
        main_depth = worst_depth(funcs, "Reset_Handler", constructors)
        isr = max((worst_depth(funcs, h) for h in sorted(handlers)), key=lambda d: d[0])
        total = main_depth[0] + isr[0] + EXCEPTION_FRAME_BYTES
        print(f"  worst-case stack {total} B of {stack} reserved: thread {main_depth[0]} B, "
              f"interrupt {isr[0]} B, exception frame {EXCEPTION_FRAME_BYTES} B")
        filt = tool(cache, "c++filt")
        print("    thread:    " + describe(filt, funcs, main_depth[1]))
        print("    interrupt: " + describe(filt, funcs, isr[1]))
        if total > stack:
            failures.append(f"{name}: worst-case stack {total} B exceeds the {stack} B reserved")
    except RuntimeError as e:
        failures.append(f"{name}: cannot bound the stack: {e}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cmake", default="cmake")
    parser.add_argument("--generator", default="")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    args.source_dir = os.path.abspath(args.source_dir)
    args.build_dir = os.path.abspath(args.build_dir)

    build(args)
    cache = os.path.join(args.build_dir, "CMakeCache.txt")
    failures = []
    for name, description in IMAGES.items():
        failures += check_image(args, name, description, cache)
    if failures:
        print()
        for f in failures:
            print("FAIL: " + f)
        return 1
    print("\nno heap, no exception run-time, no stdio, no exit machinery; within budget")
    return 0


if __name__ == "__main__":
    sys.exit(main())
