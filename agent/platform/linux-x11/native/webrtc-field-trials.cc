// Sets libwebrtc's field trials in the @roamhq/wrtc addon loaded in this process (Linux, ELF).
//
// @roamhq/wrtc (libwebrtc M106) gives JavaScript no way to set field trials, and the one the agent
// needs, WebRTC-ForceSendPlayoutDelay (the sender writes the playout-delay RTP header extension on
// its video, https://webrtc.googlesource.com/src/+/refs/heads/main/docs/native-code/rtp-hdrext/playout-delay/),
// is read from libwebrtc's global field-trial string. wrtc.node is shipped with its symbol table, so
// this finds `webrtc::field_trial::InitFieldTrialsFromString(const char*)` by name in each loaded
// object's .symtab and calls it. Nothing is patched: the function is libwebrtc's own, called as
// libwebrtc's embedders call it. A build without the symbol (stripped, another version) is reported,
// never guessed at.
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "webrtc-field-trials.h"

namespace {

constexpr const char* kInitSymbol = "_ZN6webrtc11field_trial25InitFieldTrialsFromStringEPKc";
constexpr const char* kGetSymbol = "_ZN6webrtc11field_trial19GetFieldTrialStringEv";

/** The symbol's value (offset from the load base) in an ELF file's .symtab, or 0. */
ElfW(Addr) findSymbol(const char* path, const char* name) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  struct stat st;
  ElfW(Addr) found = 0;
  if (fstat(fd, &st) == 0 && st.st_size > static_cast<off_t>(sizeof(ElfW(Ehdr)))) {
    void* map = mmap(nullptr, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      const auto* base = static_cast<const unsigned char*>(map);
      const auto size = static_cast<size_t>(st.st_size);
      const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(base);
      const bool elf = std::memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_ident[EI_CLASS] == ELFCLASS64;
      if (elf && eh->e_shoff + static_cast<size_t>(eh->e_shnum) * sizeof(ElfW(Shdr)) <= size) {
        const auto* sh = reinterpret_cast<const ElfW(Shdr)*>(base + eh->e_shoff);
        for (int i = 0; i < eh->e_shnum && !found; i++) {
          if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum) continue;
          const ElfW(Shdr)& strtab = sh[sh[i].sh_link];
          if (sh[i].sh_offset + sh[i].sh_size > size || strtab.sh_offset + strtab.sh_size > size) continue;
          const auto* syms = reinterpret_cast<const ElfW(Sym)*>(base + sh[i].sh_offset);
          const size_t count = sh[i].sh_size / sizeof(ElfW(Sym));
          const char* strings = reinterpret_cast<const char*>(base + strtab.sh_offset);
          const size_t nameLen = std::strlen(name);
          for (size_t s = 0; s < count; s++) {
            if (ELF64_ST_TYPE(syms[s].st_info) != STT_FUNC || syms[s].st_value == 0) continue;
            if (syms[s].st_name + nameLen + 1 > strtab.sh_size) continue;
            if (std::strcmp(strings + syms[s].st_name, name) == 0) {
              found = syms[s].st_value;
              break;
            }
          }
        }
      }
      munmap(map, st.st_size);
    }
  }
  close(fd);
  return found;
}

struct Loaded {
  std::string path;
  ElfW(Addr) bias;
};

int collect(struct dl_phdr_info* info, size_t, void* data) {
  auto* out = static_cast<std::vector<Loaded>*>(data);
  const char* name = info->dlpi_name;
  const size_t len = name ? std::strlen(name) : 0;
  // Node addons only: wrtc.node (also when the single-file applet wrote it to a temp folder).
  if (len > 5 && std::strcmp(name + len - 5, ".node") == 0) out->push_back({name, info->dlpi_addr});
  return 0;
}

/** The address of a function in the first loaded addon whose symbol table has it, or null. */
void* findLoaded(const char* symbol, bool* anyLoaded) {
  std::vector<Loaded> loaded;
  dl_iterate_phdr(collect, &loaded);
  *anyLoaded = !loaded.empty();
  for (const Loaded& object : loaded) {
    const ElfW(Addr) offset = findSymbol(object.path.c_str(), symbol);
    if (offset) return reinterpret_cast<void*>(object.bias + offset);
  }
  return nullptr;
}

std::string missing(bool anyLoaded) {
  return anyLoaded ? "no loaded addon has webrtc::field_trial::InitFieldTrialsFromString in its symbol table"
                   : "no Node addon is loaded (load @roamhq/wrtc first)";
}

}  // namespace

std::string setWebrtcFieldTrials(const std::string& trials) {
  bool anyLoaded = false;
  void* init = findLoaded(kInitSymbol, &anyLoaded);
  if (!init) return missing(anyLoaded);
  // libwebrtc keeps the pointer, not a copy: the string is never freed (an earlier one neither,
  // as a libwebrtc thread may still be reading it).
  const auto* kept = new std::string(trials);
  reinterpret_cast<void (*)(const char*)>(init)(kept->c_str());
  return "";
}

std::string webrtcFieldTrials() {
  bool anyLoaded = false;
  void* get = findLoaded(kGetSymbol, &anyLoaded);
  if (!get) return "";
  const char* current = reinterpret_cast<const char* (*)()>(get)();
  return current ? current : "";
}
