// SHA-256 through OpenSSL's EVP interface, whole or a piece at a time.
#include "core/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace portcullis::digest {

namespace {

std::string to_hex(const unsigned char* hash, unsigned int length) {
    static const char hex[] = "0123456789abcdef";
    std::string out(length * 2, '0');
    for (unsigned int i = 0; i < length; ++i) {
        out[2 * i] = hex[hash[i] >> 4];
        out[2 * i + 1] = hex[hash[i] & 15];
    }
    return out;
}

} // namespace

std::string sha256_hex(std::string_view data) {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), hash, &length, EVP_sha256(),
                   nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed"); // out of memory only
    return to_hex(hash, length);
}

struct Sha256::Context {
    EVP_MD_CTX* md = nullptr;
};

// Each call fails only when memory runs out.
Sha256::Sha256() : context_(std::make_unique<Context>()) {
    context_->md = EVP_MD_CTX_new();
    if (!context_->md ||
        EVP_DigestInit_ex(context_->md, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("EVP_DigestInit_ex failed");
}

Sha256::~Sha256() {
    EVP_MD_CTX_free(context_->md);
}

void Sha256::update(std::string_view data) {
    if (EVP_DigestUpdate(context_->md, data.data(), data.size()) != 1)
        throw std::runtime_error("EVP_DigestUpdate failed");
}

std::string Sha256::hex() {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_DigestFinal_ex(context_->md, hash, &length) != 1)
        throw std::runtime_error("EVP_DigestFinal_ex failed");
    return to_hex(hash, length);
}

} // namespace portcullis::digest
