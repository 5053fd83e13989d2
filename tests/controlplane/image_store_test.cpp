#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "atomic_file.hpp"
#include "image_store.hpp"
#include "test_util.hpp"

namespace fs = std::filesystem;

static std::vector<uint8_t> bytes(const std::string& s) {
    return {s.begin(), s.end()};
}

static ino_t inode(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_ino;
}

TEST_CASE("image store: save then load returns the same bytes, mode 0640", "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "lib" / "policy.img");  // directory created on demand
    std::vector<uint8_t> img(100000);
    for (size_t i = 0; i < img.size(); ++i) img[i] = static_cast<uint8_t>(i * 7 + 3);
    REQUIRE_FALSE(store.save(img).has_value());
    auto back = store.load();
    REQUIRE(back.has_value());
    CHECK(*back == img);
    struct stat st {};
    REQUIRE(::stat(store.path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
}

TEST_CASE("image store: a new image replaces the file by rename, leaving no temp file",
          "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "policy.img");
    REQUIRE_FALSE(store.save(bytes("generation one")).has_value());
    auto ino1 = inode(store.path());
    REQUIRE_FALSE(store.save(bytes("generation two, longer")).has_value());
    CHECK(*store.load() == bytes("generation two, longer"));
    // A new inode: the old file was never truncated in place, so a dataplane
    // reading it concurrently sees the whole old or the whole new image.
    CHECK(inode(store.path()) != ino1);
    int files = 0;
    for (auto& e : fs::directory_iterator(dir.path)) {
        (void)e;
        ++files;
    }
    CHECK(files == 1);
}

TEST_CASE("image store: identical content is not rewritten", "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "policy.img");
    REQUIRE_FALSE(store.save(bytes("same")).has_value());
    auto ino1 = inode(store.path());
    REQUIRE_FALSE(store.save(bytes("same")).has_value());
    CHECK(inode(store.path()) == ino1);
}

TEST_CASE("image store: a failed write leaves the previous image intact", "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "policy.img");
    REQUIRE_FALSE(store.save(bytes("good image")).has_value());
    // Block the temp file name with a directory: creating it fails.
    fs::create_directory(dir / ("policy.img.tmp." + std::to_string(::getpid())));
    auto err = store.save(bytes("never written"));
    REQUIRE(err.has_value());
    CHECK(err->find("policy.img.tmp") != std::string::npos);
    CHECK(*store.load() == bytes("good image"));
}

TEST_CASE("image store: loading a missing image reports why", "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "absent.img");
    std::string why;
    CHECK_FALSE(store.load(&why).has_value());
    CHECK(why.find("absent.img") != std::string::npos);
}

TEST_CASE("atomic write: text files and explicit mode", "[image_store]") {
    wg::test::TempDir dir;
    REQUIRE_FALSE(
        wg::cp::write_file_atomic(dir / "a.json", std::string("{\"x\":1}\n"), 0600).has_value());
    CHECK(wg::test::read_text(dir / "a.json") == "{\"x\":1}\n");
    struct stat st {};
    REQUIRE(::stat((dir / "a.json").c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    // Into a directory that does not exist: an error, nothing created.
    CHECK(wg::cp::write_file_atomic(dir / "no" / "b.json", std::string("x")).has_value());
}

// Two distinct, decodable images (the previous-image rotation keeps only
// images that decode).
#include "policy/image.hpp"
static std::vector<uint8_t> valid_image(const std::string& name) {
    wg::policy::CompiledPolicy p;
    p.name = name;
    p.classes.resize(1);
    p.classes[0].name = "unknown";  // the minimum decode_image accepts
    p.zones = {""};
    return wg::policy::encode_image(p);
}

TEST_CASE("image store: the replaced image is kept as <path>.prev", "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "policy.img");
    auto one = valid_image("one"), two = valid_image("two"), three = valid_image("three");
    REQUIRE_FALSE(store.save(one).has_value());
    CHECK_FALSE(fs::exists(store.prev_path()));  // nothing before the first image
    REQUIRE_FALSE(store.save(two).has_value());
    CHECK(*store.load() == two);
    REQUIRE(store.load_prev().has_value());
    CHECK(*store.load_prev() == one);
    REQUIRE_FALSE(store.save(three).has_value());
    CHECK(*store.load() == three);
    CHECK(*store.load_prev() == two);
    struct stat st {};
    REQUIRE(::stat(store.prev_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0640);
    // Saving the same image again rotates nothing.
    REQUIRE_FALSE(store.save(three).has_value());
    CHECK(*store.load_prev() == two);
}

TEST_CASE("image store: a corrupt current image never replaces a good previous one",
          "[image_store]") {
    wg::test::TempDir dir;
    wg::cp::ImageStore store(dir / "policy.img");
    auto one = valid_image("one"), two = valid_image("two"), three = valid_image("three");
    REQUIRE_FALSE(store.save(one).has_value());
    REQUIRE_FALSE(store.save(two).has_value());
    // Bit rot in the current file.
    auto rotten = two;
    rotten[rotten.size() / 2] ^= 0x5A;
    REQUIRE_FALSE(wg::cp::write_file_atomic(store.path(), rotten, 0640).has_value());
    REQUIRE_FALSE(store.save(three).has_value());
    CHECK(*store.load() == three);
    CHECK(*store.load_prev() == one);
}
