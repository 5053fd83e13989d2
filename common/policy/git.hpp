// The one way wardgate runs git. A policy checkout is written by policy
// maintainers, not by whoever runs the control plane or `wardgate diff`:
// its .git/config (and anything that config includes) must never make us
// execute a program or read outside the checkout. So git runs
//   - with an argv (no shell), a scrubbed environment (no system or global
//     config, no HOME, no pager/editor/askpass, no prompts, no optional
//     locks, no lazy fetch, no replace refs),
//   - with every configuration key that can name a program or an extra file
//     overridden on its command line (command-line config wins over
//     repository config, also over anything `include.path` pulls in),
//   - and only for plumbing that never invokes drivers: rev-parse, ls-tree,
//     ls-files, cat-file and hash-object --no-filters (no status, diff,
//     archive, checkout: those run filter/textconv/diff drivers, whose names
//     the repository chooses and which therefore cannot all be overridden).
// Repository ownership is checked by git: a checkout owned by another user is
// refused unless the operator lists it in WARDGATE_GIT_SAFE_DIRECTORY
// (colon-separated paths; "*" is not accepted). See docs/operations.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace wg::policy::git {

struct Result {
    int status = -1;  // exit status, -1 if the program could not run
    std::string out;  // stdout (at most 64 MiB kept)
};

// Runs `git -C dir args...` the safe way described above.
Result run_git(const std::filesystem::path& dir, const std::vector<std::string>& args);

// Runs argv[0] (looked up in /usr/bin:/bin) with a scrubbed environment;
// returns its stdout when it exits 0. An argv starting with "git" gets the
// same protections as run_git.
std::optional<std::string> run(const std::vector<std::string>& argv);

// HEAD commit of the work tree containing `dir`, "" when `dir` is not in a
// git work tree, git is not installed, or git refuses the repository.
std::string head_commit(const std::filesystem::path& dir);

// Absolute git directory of the repository holding `dir`.
std::optional<std::filesystem::path> git_dir(const std::filesystem::path& dir);

// Files under `dir` whose work-tree content differs from `commit` (one
// git-status-like line each: " M path", " D path", "?? path"; paths
// relative to `dir`; files ignored by .gitignore do not count). Content is
// compared byte for byte (no clean filters, no end-of-line conversion).
// nullopt if `dir` is not in a git work tree. `commit` "" = no commit yet.
std::optional<std::vector<std::string>> uncommitted(const std::filesystem::path& dir,
                                                    const std::string& commit);

// Full commit id of revision `rev` in the repository holding `dir`.
std::optional<std::string> resolve_commit(const std::filesystem::path& dir, const std::string& rev);

// Writes the regular files of `dir` as of `commit` into `dest` (created);
// symlinks and submodules are skipped, no filters run. An error message on
// failure.
std::optional<std::string> export_tree(const std::filesystem::path& dir, const std::string& commit,
                                       const std::filesystem::path& dest);

// ---- Following a remote (the control plane's --policy-git) ----
// The control plane keeps its own bare mirror (under its state directory) and
// only ever fetches into it: the remote's configuration never reaches it (a
// fetch copies objects and refs, not config or hooks). The same protections
// apply, with exactly two openings, both chosen by wardgate, never by a
// repository: fetch may use the file, https and ssh transports (ssh in batch
// mode), and verify_commit runs ssh-keygen / gpg with the allowed-signers
// file / keyring named by wardgate's own options.

// Creates the bare mirror `gitdir` if it does not exist. An error message on failure.
std::optional<std::string> init_mirror(const std::filesystem::path& gitdir);

// Fetches `branch` of `url` into refs/wardgate/fetched of the mirror
// (forced: the fast-forward decision is the caller's, against the revision
// it applied). Returns the fetched commit, or an error message.
struct FetchResult {
    std::string commit;  // "" on failure
    std::string error;
};
FetchResult fetch(const std::filesystem::path& gitdir, const std::string& url,
                  const std::string& branch);

// Full commit id of `rev` in the mirror.
std::optional<std::string> mirror_commit(const std::filesystem::path& gitdir,
                                         const std::string& rev);

// Committer time (Unix seconds) of `commit` in the mirror, 0 if unknown.
int64_t commit_time(const std::filesystem::path& gitdir, const std::string& commit);

// True if `ancestor` is `commit` or one of its ancestors (merge-base --is-ancestor).
bool is_ancestor(const std::filesystem::path& gitdir, const std::string& ancestor,
                 const std::string& commit);

// Who may sign: an SSH allowed-signers file (gpg.ssh.allowedSignersFile)
// and/or a GnuPG home whose keyring holds the allowed OpenPGP keys. Empty
// = that kind of signature cannot verify.
struct SignerConfig {
    std::string allowed_signers;
    std::string gpg_home;
};
struct Signature {
    bool ok = false;     // git verify-commit succeeded
    char status = 'N';   // %G?: G good, B bad, U unknown validity, X/Y expired, R revoked,
                         // E cannot check (key not allowed / missing), N none
    std::string signer;  // %GS: the SSH principal or the OpenPGP user id
    std::string key;     // %GK: the key's fingerprint / id
    std::string reason;  // when !ok: unsigned | bad-signature | unknown-signer | expired-key |
                         // revoked-key | unverified
};
Signature verify_commit(const std::filesystem::path& gitdir, const std::string& commit,
                        const SignerConfig& signers);

// export_tree for a commit of the mirror: its whole tree into `dest`.
std::optional<std::string> export_commit(const std::filesystem::path& gitdir,
                                         const std::string& commit,
                                         const std::filesystem::path& dest);

}  // namespace wg::policy::git
