// dtb-probe: what the kernel would do with a device tree, computed by the kernel's own DT code
// (drivers/of/fdt.cpp, drivers/tty/earlycon.cpp, mm/memblock*.cpp compiled for the host).
//
//   dtb-probe [--json] [--cmdline "..."] FILE.dtb
//
// Exit status: 0 when the kernel would find a console and memory, 1 when it would not (the reason
// is printed), 2 when the file is not a usable device tree.
#include <libfdt.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "drivers/earlycon.h"
#include "drivers/of.h"
#include "kernel/printk.h"

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

int usage() {
  std::fprintf(stderr, "usage: dtb-probe [--json] [--cmdline \"kernel args\"] FILE.dtb\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  bool json = false;
  const char* cmdline = nullptr;
  const char* path = nullptr;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--json"))
      json = true;
    else if (!std::strcmp(argv[i], "--cmdline") && i + 1 < argc)
      cmdline = argv[++i];
    else if (argv[i][0] == '-')
      return usage();
    else
      path = argv[i];
  }
  if (!path) return usage();
  FILE* f = std::fopen(path, "rb");
  if (!f) {
    std::fprintf(stderr, "dtb-probe: cannot open %s: %s\n", path, std::strerror(errno));
    return 2;
  }
  std::vector<char> blob(4 << 20);
  size_t len = std::fread(blob.data(), 1, blob.size(), f);
  std::fclose(f);
  if (len < sizeof(fdt_header) || fdt_magic(blob.data()) != FDT_MAGIC) {
    std::fprintf(stderr, "dtb-probe: %s: not a device tree (bad magic)\n", path);
    return 2;
  }
  int err = fdt_check_header(blob.data());
  if (err || fdt_totalsize(blob.data()) > len) {
    std::fprintf(stderr, "dtb-probe: %s: corrupt device tree: %s\n", path,
                 err ? fdt_strerror(err) : "totalsize larger than the file");
    return 2;
  }
  const void* fdt = blob.data();
  if (fdt_totalsize(fdt) > (2u << 20))
    std::fprintf(stderr, "dtb-probe: warning: %u bytes; the kernel (like Linux) accepts at most 2 MiB\n",
                 fdt_totalsize(fdt));

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
  bool memory_ok = usable > 0 || (mem_total > 0);  // size 0 is filled in by firmware on the Pi
  return con.found && memory_ok ? 0 : 1;
}
