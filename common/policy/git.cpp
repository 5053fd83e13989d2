#include "policy/git.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace wg::policy::git {

namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxOutput = size_t{64} << 20;
// Programs are looked up here only: the caller's PATH is not ours to trust.
constexpr const char* kPath = "/usr/bin:/bin";

// The whole environment git gets. Nothing is inherited: GIT_DIR,
// GIT_INDEX_FILE, GIT_EXTERNAL_DIFF, GIT_SSH_COMMAND... of the caller must
// not steer it either.
const std::vector<std::string>& child_env() {
    static const std::vector<std::string> env = {
        std::string("PATH=") + kPath,
        "HOME=/nonexistent",  // no ~/.gitconfig, no ~/.config/git
        "XDG_CONFIG_HOME=/nonexistent",
        "LC_ALL=C",
        "GIT_CONFIG_NOSYSTEM=1",
        "GIT_CONFIG_SYSTEM=/dev/null",
        "GIT_CONFIG_GLOBAL=/dev/null",
        "GIT_ATTR_NOSYSTEM=1",
        "GIT_TERMINAL_PROMPT=0",
        "GIT_OPTIONAL_LOCKS=0",  // never refresh (write) the index
        "GIT_PAGER=cat",
        "PAGER=cat",
        "GIT_EDITOR=false",
        "GIT_NO_REPLACE_OBJECTS=1",  // read the commit as it is, not as refs/replace says
        "GIT_NO_LAZY_FETCH=1",       // partial clone: never fetch a missing object
        "GIT_PROTOCOL_FROM_USER=0",
        "GIT_ALLOW_PROTOCOL=",  // no transport at all
    };
    return env;
}

// Command-line configuration overriding every key that can name a program
// (or a file to read) which the plumbing we run could consult. Program-valued
// keys are set to false(1): if anything still ran it, nothing would happen.
// See git-config(1); keys naming a driver (filter.<driver>.*,
// diff.<driver>.*, merge.<driver>.*) cannot be enumerated, which is why only
// driver-free plumbing is run.
const std::vector<std::string>& safe_config() {
    static const std::vector<std::string> cfg = {
        "core.fsmonitor=false",       // hook run on every index read
        "core.untrackedCache=false",  // ... and its companion cache
        "core.hooksPath=/dev/null",   // no hooks (post-index-change, ...)
        "core.pager=cat",             // (no tty anyway; --no-pager too)
        "core.editor=false",          //
        "sequence.editor=false",      //
        "core.sshCommand=false",      // transports: protocol.allow=never
        "core.gitProxy=false",        // blocks them; these are belt and
        "core.askPass=",              // braces
        "credential.helper=",         // empty resets the helper list
        "core.alternateRefsCommand=false",
        "uploadpack.packObjectsHook=false",
        "protocol.allow=never",
        "diff.external=false",
        "gpg.program=false",
        "gpg.openpgp.program=false",
        "gpg.x509.program=false",
        "gpg.ssh.program=false",
        "gpg.ssh.defaultKeyCommand=false",
        "log.showSignature=false",
        "core.attributesFile=/dev/null",  // files read from outside the checkout
        "core.excludesFile=/dev/null",
        "gc.auto=0",  // no background maintenance
        "maintenance.auto=false",
        "safe.bareRepository=explicit",  // a bare repo planted in the policy dir is not one
    };
    return cfg;
}

// Operator-approved checkouts owned by another user (git's safe.directory,
// given on git's command line because system/global config is ignored).
std::vector<std::string> safe_directories() {
    std::vector<std::string> v;
    const char* env = std::getenv("WARDGATE_GIT_SAFE_DIRECTORY");
    if (!env) return v;
    std::istringstream in(env);
    for (std::string p; std::getline(in, p, ':');)
        if (!p.empty() && p != "*") v.push_back(p);
    return v;
}

std::vector<std::string> git_prefix() {
    std::vector<std::string> a = {"git", "--no-pager"};
    for (const auto& c : safe_config()) {
        a.push_back("-c");
        a.push_back(c);
    }
    for (const auto& d : safe_directories()) {
        a.push_back("-c");
        a.push_back("safe.directory=" + d);
    }
    return a;
}

std::string find_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    std::istringstream in(kPath);
    for (std::string d; std::getline(in, d, ':');) {
        auto p = d + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

Result spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
    Result r;
    std::string prog = find_program(argv.at(0));
    if (prog.empty()) return r;
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;
    // An extra entry replaces the base entry of the same name.
    auto key = [](const std::string& e) { return e.substr(0, e.find('=')); };
    for (const auto& e : child_env()) {
        bool replaced = std::any_of(extra_env.begin(), extra_env.end(),
                                    [&](const std::string& x) { return key(x) == key(e); });
        if (!replaced) envp.push_back(const_cast<char*>(e.c_str()));
    }
    for (const auto& e : extra_env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) return r;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    // Git's own complaints ("not a git repository") are expected and not ours to print.
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, prog.c_str(), &fa, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&fa);
    ::close(out[1]);
    if (rc != 0) {
        ::close(out[0]);
        return r;
    }
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(out[0], buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        // Keep reading past the cap so the child never blocks on a full pipe.
        if (r.out.size() < kMaxOutput) r.out.append(buf, static_cast<size_t>(n));
    }
    ::close(out[0]);
    int st = 0;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    if (r.out.size() >= kMaxOutput) r.status = -1;
    return r;
}

std::string first_line(const std::string& s) {
    auto l = s.substr(0, s.find('\n'));
    while (!l.empty() && l.back() == '\r') l.pop_back();
    return l;
}

std::vector<std::string> split0(const std::string& s) {
    std::vector<std::string> v;
    size_t pos = 0;
    while (pos < s.size()) {
        auto end = s.find('\0', pos);
        if (end == std::string::npos) end = s.size();
        if (end > pos) v.push_back(s.substr(pos, end - pos));
        pos = end + 1;
    }
    return v;
}

struct TreeEntry {
    std::string mode, type, oid;
};

// `rev-parse --show-prefix`: where `dir` sits in its work tree ("" at the top).
std::optional<std::string> work_tree_prefix(const fs::path& dir) {
    auto r = run_git(dir, {"rev-parse", "--is-inside-work-tree", "--show-prefix"});
    if (r.status != 0) return std::nullopt;
    std::istringstream in(r.out);
    std::string inside, prefix;
    std::getline(in, inside);
    std::getline(in, prefix);
    if (inside != "true") return std::nullopt;
    return prefix;
}

// Blobs under `prefix` in `commit`, by path relative to `prefix`; nullopt if
// the commit has no such directory.
std::optional<std::map<std::string, TreeEntry>> tree_of(const fs::path& dir,
                                                        const std::string& commit,
                                                        const std::string& prefix) {
    auto r = run_git(dir, {"ls-tree", "-r", "-z", "--full-tree", commit + ":" + prefix});
    if (r.status != 0) return std::nullopt;
    std::map<std::string, TreeEntry> m;
    for (const auto& rec : split0(r.out)) {
        auto tab = rec.find('\t');
        if (tab == std::string::npos) continue;
        std::istringstream meta(rec.substr(0, tab));
        TreeEntry e;
        meta >> e.mode >> e.type >> e.oid;
        m[rec.substr(tab + 1)] = e;
    }
    return m;
}

// A tree path we are willing to create under an export directory.
bool plain_relative(const std::string& p) {
    if (p.empty() || p.front() == '/') return false;
    std::istringstream in(p);
    for (std::string c; std::getline(in, c, '/');)
        if (c.empty() || c == "." || c == ".." || c == ".git") return false;
    return true;
}

}  // namespace

Result run_git(const fs::path& dir, const std::vector<std::string>& args) {
    auto argv = git_prefix();
    argv.push_back("-C");
    argv.push_back(dir.string());
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn(argv);
}

std::optional<std::string> run(const std::vector<std::string>& argv) {
    if (argv.empty()) return std::nullopt;
    std::vector<std::string> full = argv;
    if (argv[0] == "git") {
        full = git_prefix();
        full.insert(full.end(), argv.begin() + 1, argv.end());
    }
    auto r = spawn(full);
    if (r.status != 0) return std::nullopt;
    return r.out;
}

namespace {

// git on the mirror: an explicit --git-dir (safe.bareRepository=explicit
// refuses to discover a bare repository on its own).
Result run_mirror(const fs::path& gitdir, const std::vector<std::string>& args,
                  const std::vector<std::string>& extra_config = {},
                  const std::vector<std::string>& extra_env = {}) {
    auto argv = git_prefix();
    for (const auto& c : extra_config) {
        argv.push_back("-c");
        argv.push_back(c);
    }
    argv.push_back("--git-dir=" + gitdir.string());
    argv.insert(argv.end(), args.begin(), args.end());
    return spawn(argv, extra_env);
}

bool is_hex_commit(const std::string& s) {
    return s.size() >= 40 && std::all_of(s.begin(), s.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

}  // namespace

std::optional<std::string> init_mirror(const fs::path& gitdir) {
    std::error_code ec;
    if (fs::exists(gitdir / "HEAD", ec)) return std::nullopt;
    fs::create_directories(gitdir, ec);
    if (ec) return "cannot create " + gitdir.string() + ": " + ec.message();
    auto argv = git_prefix();
    for (const char* a : {"init", "-q", "--bare"}) argv.push_back(a);
    argv.push_back(gitdir.string());
    auto r = spawn(argv);
    if (r.status != 0) return "git init --bare " + gitdir.string() + " failed";
    return std::nullopt;
}

FetchResult fetch(const fs::path& gitdir, const std::string& url, const std::string& branch) {
    FetchResult fr;
    if (url.empty() || url.front() == '-' || branch.empty() || branch.front() == '-' ||
        branch.find("..") != std::string::npos) {
        fr.error = "refusing URL '" + url + "' / branch '" + branch + "'";
        return fr;
    }
    // Per-protocol allow beats protocol.allow=never; GIT_ALLOW_PROTOCOL is
    // the environment's say. ssh runs in batch mode (never prompts).
    auto r = run_mirror(gitdir,
                        {"fetch", "-q", "--no-tags", "--no-recurse-submodules", "--no-auto-gc",
                         "--", url, "+refs/heads/" + branch + ":refs/wardgate/fetched"},
                        {"protocol.file.allow=always", "protocol.https.allow=always",
                         "protocol.ssh.allow=always", "core.sshCommand=ssh -o BatchMode=yes",
                         "fetch.fsckObjects=true", "transfer.fsckObjects=true"},
                        {"GIT_ALLOW_PROTOCOL=file:https:ssh"});
    if (r.status != 0) {
        fr.error = "git fetch of branch '" + branch + "' from " + url + " failed (exit " +
                   std::to_string(r.status) + ")";
        return fr;
    }
    auto c = mirror_commit(gitdir, "refs/wardgate/fetched");
    if (!c) {
        fr.error = "fetched branch '" + branch + "' but cannot resolve it";
        return fr;
    }
    fr.commit = *c;
    return fr;
}

std::optional<std::string> mirror_commit(const fs::path& gitdir, const std::string& rev) {
    if (rev.empty() || rev.front() == '-') return std::nullopt;
    auto r = run_mirror(gitdir, {"rev-parse", "--verify", "-q", rev + "^{commit}"});
    if (r.status != 0) return std::nullopt;
    auto c = first_line(r.out);
    if (!is_hex_commit(c)) return std::nullopt;
    return c;
}

int64_t commit_time(const fs::path& gitdir, const std::string& commit) {
    if (!is_hex_commit(commit)) return 0;
    auto r = run_mirror(gitdir, {"log", "-1", "--no-walk", "--format=%ct", commit});
    if (r.status != 0) return 0;
    try {
        return std::stoll(first_line(r.out));
    } catch (const std::exception&) {
        return 0;
    }
}

bool is_ancestor(const fs::path& gitdir, const std::string& ancestor, const std::string& commit) {
    if (!is_hex_commit(ancestor) || !is_hex_commit(commit)) return false;
    return run_mirror(gitdir, {"merge-base", "--is-ancestor", ancestor, commit}).status == 0;
}

Signature verify_commit(const fs::path& gitdir, const std::string& commit,
                        const SignerConfig& signers) {
    Signature s;
    if (!is_hex_commit(commit)) {
        s.reason = "unverified";
        return s;
    }
    // The verifying programs and what they trust come from here, after the
    // safe configuration (the last -c of a key wins). Without a keyring or
    // allowed-signers file, that kind of signature stays unverifiable.
    std::vector<std::string> cfg, env;
    if (!signers.allowed_signers.empty()) {
        cfg.push_back("gpg.ssh.program=ssh-keygen");
        cfg.push_back("gpg.ssh.allowedSignersFile=" + signers.allowed_signers);
    }
    if (!signers.gpg_home.empty()) {
        cfg.push_back("gpg.program=gpg");
        cfg.push_back("gpg.openpgp.program=gpg");
        env.push_back("GNUPGHOME=" + signers.gpg_home);
    }
    auto v = run_mirror(gitdir, {"verify-commit", commit}, cfg, env);
    auto info = run_mirror(gitdir, {"log", "-1", "--no-walk", "--format=%G?%x00%GS%x00%GK", commit},
                           cfg, env);
    if (info.status == 0) {
        // Fields may be empty (no signer): split keeping them.
        std::vector<std::string> f;
        std::string line = first_line(info.out);
        size_t pos = 0;
        for (;;) {
            auto end = line.find('\0', pos);
            f.push_back(line.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
            if (end == std::string::npos) break;
            pos = end + 1;
        }
        if (!f.empty() && !f[0].empty()) s.status = f[0][0];
        if (f.size() > 1) s.signer = f[1];
        if (f.size() > 2) s.key = f[2];
    }
    // 'U' (good signature, unknown validity) is accepted for OpenPGP only:
    // the key is in wardgate's own keyring, which is the allowed list. For
    // SSH ("SHA256:" fingerprints) git reports 'U' for a valid signature by
    // a key that is NOT in the allowed-signers file.
    bool ssh = s.key.starts_with("SHA256:");
    s.ok = v.status == 0 && (s.status == 'G' || (s.status == 'U' && !ssh));
    if (!s.ok) {
        switch (s.status) {
            case 'N':
                s.reason = "unsigned";
                break;
            case 'B':
                s.reason = "bad-signature";
                break;
            case 'E':
            case 'U':
                s.reason = "unknown-signer";
                break;
            case 'X':
            case 'Y':
                s.reason = "expired-key";
                break;
            case 'R':
                s.reason = "revoked-key";
                break;
            default:
                s.reason = "unverified";
                break;
        }
    }
    return s;
}

// Writes one tree entry of `commit` under dest: regular files only (links,
// submodules and executables' modes other than 644/755 are skipped), a path
// that could leave dest is refused. `cat` reads a blob by object id; the two
// exporters differ only in which repository it reads.
template <class Cat>
std::optional<std::string> export_blob(Cat&& cat, const std::string& p, const TreeEntry& e,
                                       const fs::path& dest, const std::string& commit) {
    if (e.type != "blob" || (e.mode != "100644" && e.mode != "100755")) return std::nullopt;
    if (!plain_relative(p)) return "refusing the path '" + p + "' in commit " + commit;
    auto blob = cat(e.oid);
    if (blob.status != 0) return "cannot read " + p + " of commit " + commit;
    auto target = dest / p;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream f(target, std::ios::binary | std::ios::trunc);
    f << blob.out;
    if (!f) return "cannot write " + target.string();
    return std::nullopt;
}

std::optional<std::string> export_commit(const fs::path& gitdir, const std::string& commit,
                                         const fs::path& dest) {
    if (!is_hex_commit(commit)) return "not a commit id: " + commit;
    auto r = run_mirror(gitdir, {"ls-tree", "-r", "-z", "--full-tree", commit});
    if (r.status != 0) return "cannot list commit " + commit;
    std::error_code ec;
    fs::create_directories(dest, ec);
    if (ec) return "cannot create " + dest.string() + ": " + ec.message();
    for (const auto& rec : split0(r.out)) {
        auto tab = rec.find('\t');
        if (tab == std::string::npos) continue;
        std::istringstream meta(rec.substr(0, tab));
        TreeEntry e;
        meta >> e.mode >> e.type >> e.oid;
        auto cat = [&](const std::string& oid) {
            return run_mirror(gitdir, {"cat-file", "blob", oid});
        };
        if (auto err = export_blob(cat, rec.substr(tab + 1), e, dest, commit)) return err;
    }
    return std::nullopt;
}

std::string head_commit(const fs::path& dir) {
    auto r = run_git(dir, {"rev-parse", "--verify", "-q", "HEAD^{commit}"});
    return r.status == 0 ? first_line(r.out) : "";
}

std::optional<fs::path> git_dir(const fs::path& dir) {
    auto r = run_git(dir, {"rev-parse", "--absolute-git-dir"});
    if (r.status != 0) return std::nullopt;
    return fs::path(first_line(r.out));
}

std::optional<std::string> resolve_commit(const fs::path& dir, const std::string& rev) {
    if (rev.empty() || rev.front() == '-') return std::nullopt;  // never an option
    auto r = run_git(dir, {"rev-parse", "--verify", "-q", rev + "^{commit}"});
    if (r.status != 0) return std::nullopt;
    return first_line(r.out);
}

std::optional<std::vector<std::string>> uncommitted(const fs::path& dir,
                                                    const std::string& commit) {
    auto prefix = work_tree_prefix(dir);
    if (!prefix) return std::nullopt;
    std::map<std::string, TreeEntry> tree;
    if (!commit.empty())
        if (auto t = tree_of(dir, commit, *prefix)) tree = std::move(*t);
    // Tracked (index) plus untracked-but-not-ignored files under dir. Read
    // from the index only: nothing is re-checked, so no filter runs.
    auto ls = run_git(dir, {"ls-files", "-z", "--cached", "--others", "--exclude-standard"});
    if (ls.status != 0) return std::nullopt;
    std::set<std::string> paths;
    for (auto& p : split0(ls.out)) paths.insert(p);
    for (auto& [p, e] : tree) paths.insert(p);

    std::vector<std::string> out;
    std::vector<std::string> to_hash;
    for (const auto& p : paths) {
        auto it = tree.find(p);
        struct stat st {};
        bool exists = ::lstat((dir / p).c_str(), &st) == 0;
        if (it == tree.end()) {
            if (exists) out.push_back("?? " + p);
            continue;
        }
        const auto& e = it->second;
        if (e.mode == "160000") continue;  // submodule: not policy
        if (!exists) {
            out.push_back(" D " + p);
        } else if (e.mode == "120000") {
            std::string target(4096, '\0');
            ssize_t n = S_ISLNK(st.st_mode)
                            ? ::readlink((dir / p).c_str(), target.data(), target.size())
                            : -1;
            auto blob = run_git(dir, {"cat-file", "blob", e.oid});
            if (n < 0 || blob.status != 0 || blob.out != target.substr(0, static_cast<size_t>(n)))
                out.push_back(" M " + p);
        } else if (!S_ISREG(st.st_mode)) {
            out.push_back(" M " + p);
        } else {
            to_hash.push_back(p);
        }
    }
    if (!to_hash.empty()) {
        std::vector<std::string> args = {"hash-object", "--no-filters", "--"};
        args.insert(args.end(), to_hash.begin(), to_hash.end());
        auto h = run_git(dir, args);
        if (h.status != 0) return std::nullopt;
        std::istringstream in(h.out);
        for (const auto& p : to_hash) {
            std::string oid;
            std::getline(in, oid);
            if (oid != tree[p].oid) out.push_back(" M " + p);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const std::string& a, const std::string& b) { return a.substr(3) < b.substr(3); });
    return out;
}

std::optional<std::string> export_tree(const fs::path& dir, const std::string& commit,
                                       const fs::path& dest) {
    auto prefix = work_tree_prefix(dir);
    if (!prefix) return dir.string() + " is not in a git work tree";
    auto tree = tree_of(dir, commit, *prefix);
    if (!tree) return dir.string() + " does not exist in commit " + commit;
    std::error_code ec;
    fs::create_directories(dest, ec);
    if (ec) return "cannot create " + dest.string() + ": " + ec.message();
    auto cat = [&](const std::string& oid) { return run_git(dir, {"cat-file", "blob", oid}); };
    for (const auto& [p, e] : *tree)
        if (auto err = export_blob(cat, p, e, dest, commit)) return err;
    return std::nullopt;
}

}  // namespace wg::policy::git
