// dtb-probe: what the kernel would do with a device tree, computed by the kernel's own DT code
// (drivers/of/fdt.cpp, drivers/tty/earlycon.cpp, mm/memblock*.cpp compiled for the host).
//
//   dtb-probe [--json] [--cmdline "..."] FILE.dtb
//   dtb-probe [--cmdline "..."] FILE.dtb FILE.dtb ...   one verdict line per file
//
// Exit status: 0 when the kernel would find a console and memory, 1 when it would not (the reason
// is printed), 2 when the kernel would reject the file as a device tree (with the kernel's own
// reason: the same checks, of::check_blob, run here). With several files, the highest of them.
#include <libfdt.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "drivers/earlycon.h"
#include "drivers/of.h"
#include "kernel/printk.h"
#include "mm/fixmap.h"

using namespace kernel;

namespace {

std::string json_escape(const char* s) {
  std::string o;
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\')
      o += '\\', o += *s;
    else if (static_cast<unsigned char>(*s) < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\u%04x", *s);
      o += b;
    } else
      o += *s;
  }
  return o;
}

constexpr const char kUsage[] =
    "usage: dtb-probe [--json] [--cmdline \"kernel args\"] FILE.dtb [FILE.dtb ...]\n"
    "\n"
    "What the kernel would do with a device tree, computed by the kernel's own DT code: whether it\n"
    "accepts the blob (the same checks, with the kernel's message), the console it would choose, the\n"
    "memory and reservations, PSCI or spin-table for the secondary CPUs.\n"
    "\n"
    "  --json            machine-readable output (one file only)\n"
    "  --cmdline ARGS    use ARGS instead of /chosen/bootargs (e.g. \"earlycon=pl011,0xfe201000\")\n"
    "  several files     one verdict line each: FILE: ok|no-console|rejected: ...\n"
    "\n"
    "Exit status: 0 console and memory found, 1 not (the reason is printed), 2 the kernel would\n"
    "reject the blob, or bad usage. With several files, the highest.\n";

int usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

// Reads the file and runs the kernel's acceptance checks; nullopt-like empty vector on rejection
// (the reason, the kernel's own words, is printed).
bool load(const char* path, std::vector<char>& blob, bool brief) {
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::fprintf(stderr, "dtb-probe: cannot open %s: %s\n", path, std::strerror(errno));
    return false;
  }
  blob.assign(4 << 20, 0);
  const size_t len = std::fread(blob.data(), 1, blob.size(), f);
  std::fclose(f);
  auto reject = [&](const char* why) {
    if (brief)
      std::printf("%s: rejected: %s\n", path, why);
    else
      std::fprintf(stderr, "dtb-probe: %s: %s\n", path, why);
    return false;
  };
  if (len < sizeof(fdt_header) || fdt_magic(blob.data()) != FDT_MAGIC)
    return reject("not a device tree (bad magic): the kernel stops with \"invalid device tree blob\"");
  if (fdt_totalsize(blob.data()) > len) return reject("corrupt device tree: totalsize larger than the file");
  if (fdt_totalsize(blob.data()) > MAX_FDT_SIZE) {
    char b[160];
    std::snprintf(b, sizeof b, "%u bytes: the kernel (like Linux) accepts at most %u bytes (MAX_FDT_SIZE)",
                  fdt_totalsize(blob.data()), static_cast<unsigned>(MAX_FDT_SIZE));
    return reject(b);
  }
  // The kernel's own check of the blob, as it runs at boot (the address is the file offset 0).
  Status valid = of::check_blob(blob.data(), fdt_totalsize(blob.data()), PhysAddr(0));
  if (!valid) {
    char why[256], line[320];
    valid.error().format(why, sizeof why);
    std::snprintf(line, sizeof line, "the kernel rejects it: \"%s\"", why);
    return reject(line);
  }
  return true;
}

int probe(const char* path, bool json, const char* cmdline, bool brief) {
  std::vector<char> blob;
  if (!load(path, blob, brief)) return 2;
  const void* fdt = blob.data();

  const char* args = cmdline ? cmdline : of::bootargs(fdt);
  EarlyconChoice con = earlycon_select(fdt, args);
  char source[320], warning[320], error[320];
  con.format_source(source, sizeof source);
  con.format_warning(warning, sizeof warning);
  con.format_error(error, sizeof error);
  const std::string options(con.options.s, static_cast<size_t>(con.options.len));
  of::Region mem[64];
  of::Reservation res[64];
  int mem_total = 0, res_total = 0;
  int nmem = of::memory_regions(fdt, mem, 64, &mem_total);
  int nres = of::reservations(fdt, res, 64, &res_total);
  of::SpinTableCpu st[16];
  int nst = of::spin_table_cpus(fdt, st, 16);
  of::PsciConduit psci = of::psci_conduit(fdt);
  uint64_t usable = 0;
  for (int i = 0; i < nmem; ++i) usable += mem[i].size;

  bool memory_ok = usable > 0 || (mem_total > 0);  // size 0 is filled in by firmware on the Pi
  if (brief) {
    if (con.found && memory_ok)
      std::printf("%s: ok: pl011 at 0x%lx (%s), %lu MiB of memory\n", path,
                  static_cast<unsigned long>(con.base.value()), source, static_cast<unsigned long>(usable >> 20));
    else
      std::printf("%s: %s: %s\n", path, con.found ? "no-memory" : "no-console",
                  con.found ? "no usable memory in the device tree" : error);
    return con.found && memory_ok ? 0 : 1;
  }
  if (json) {
    std::printf("{\n  \"file\": \"%s\",\n  \"model\": \"%s\",\n  \"bootargs\": \"%s\",\n", json_escape(path).c_str(),
                json_escape(of::machine_model(fdt)).c_str(), json_escape(args).c_str());
    std::printf("  \"memory\": [");
    for (int i = 0; i < nmem; ++i)
      std::printf("%s{\"base\": %lu, \"size\": %lu}", i ? ", " : "", static_cast<unsigned long>(mem[i].base),
                  static_cast<unsigned long>(mem[i].size));
    std::printf("],\n  \"reserved\": [");
    for (int i = 0; i < nres; ++i)
      std::printf("%s{\"base\": %lu, \"size\": %lu}", i ? ", " : "", static_cast<unsigned long>(res[i].region.base),
                  static_cast<unsigned long>(res[i].region.size));
    std::printf("],\n  \"console\": ");
    if (con.found)
      std::printf("{\"type\": \"pl011\", \"address\": %lu, \"source\": \"%s\", \"options\": \"%s\", \"baud\": %u}",
                  static_cast<unsigned long>(con.base.value()), json_escape(source).c_str(),
                  json_escape(options.c_str()).c_str(), con.baud);
    else
      std::printf("null");
    std::printf(",\n  \"console_warning\": \"%s\",\n  \"console_error\": \"%s\",\n", json_escape(warning).c_str(),
                json_escape(error).c_str());
    std::printf("  \"psci\": \"%s\",\n  \"spin_table\": [", of::psci_conduit_name(psci));
    for (int i = 0; i < nst; ++i)
      std::printf("%s{\"cpu\": \"%s\", \"release_addr\": %lu}", i ? ", " : "", st[i].name,
                  static_cast<unsigned long>(st[i].release_addr));
    std::printf("]\n}\n");
  } else {
    std::printf("model:      %s\n", of::machine_model(fdt));
    std::printf("bootargs:   \"%s\"%s\n", args, cmdline ? " (from --cmdline)" : "");
    if (!mem_total) std::printf("memory:     none: the kernel stops (\"no usable memory in the device tree\")\n");
    for (int i = 0; i < nmem; ++i) {
      if (mem[i].size)
        std::printf("memory:     [0x%016lx-0x%016lx] %lu MiB\n", static_cast<unsigned long>(mem[i].base),
                    static_cast<unsigned long>(mem[i].base + mem[i].size - 1),
                    static_cast<unsigned long>(mem[i].size >> 20));
      else
        std::printf("memory:     0x%016lx, size 0 (the firmware fills it in at boot)\n",
                    static_cast<unsigned long>(mem[i].base));
    }
    for (int i = 0; i < nres; ++i)
      std::printf("reserved:   [0x%016lx-0x%016lx]\n", static_cast<unsigned long>(res[i].region.base),
                  static_cast<unsigned long>(res[i].region.base + res[i].region.size - (res[i].region.size ? 1 : 0)));
    if (warning[0]) std::printf("note:       %s\n", warning);
    if (con.found)
      std::printf("console:    pl011 at 0x%016lx, chosen by %s%s%s\n", static_cast<unsigned long>(con.base.value()),
                  source, options.empty() ? "" : ", options ", options.c_str());
    else
      std::printf("console:    none: %s\n", error);
    std::printf("psci:       %s\n", of::psci_conduit_name(psci));
    for (int i = 0; i < nst; ++i)
      std::printf("spin-table: %s releases at 0x%lx\n", st[i].name, static_cast<unsigned long>(st[i].release_addr));
  }
  return con.found && memory_ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  const char* cmdline = nullptr;
  std::vector<const char*> paths;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")) {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if (!std::strcmp(argv[i], "--json"))
      json = true;
    else if (!std::strcmp(argv[i], "--cmdline") && i + 1 < argc)
      cmdline = argv[++i];
    else if (argv[i][0] == '-')
      return usage();
    else
      paths.push_back(argv[i]);
  }
  if (paths.empty() || (json && paths.size() > 1)) return usage();
  int worst = 0;
  for (const char* p : paths) worst = std::max(worst, probe(p, json, cmdline, paths.size() > 1));
  return worst;
}
