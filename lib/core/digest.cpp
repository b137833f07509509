// SHA-256 through OpenSSL's one-shot EVP_Digest.
#include "core/digest.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace portcullis::digest {

std::string sha256_hex(std::string_view data) {
    unsigned char hash[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), hash, &length, EVP_sha256(),
                   nullptr) != 1)
        throw std::runtime_error("EVP_Digest failed"); // out of memory only
    static const char hex[] = "0123456789abcdef";
    std::string out(length * 2, '0');
    for (unsigned int i = 0; i < length; ++i) {
        out[2 * i] = hex[hash[i] >> 4];
        out[2 * i + 1] = hex[hash[i] & 15];
    }
    return out;
}

} // namespace portcullis::digest
