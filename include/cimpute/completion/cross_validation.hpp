/// @file cross_validation.hpp
/// @brief Deprecated forwarding header, removed in the next release: include
/// `cimpute/completion/protocols.hpp` (the evaluation protocols and `evaluate_protocol`),
/// `cimpute/completion/protocol.hpp` (`CompletionProtocol`) or
/// `cimpute/completion/complete_missing.hpp` (`complete_missing`) instead, or the umbrella
/// `cimpute/completion.hpp`.
#pragma once

#include "cimpute/completion/complete_missing.hpp"
#include "cimpute/completion/protocol.hpp"
#include "cimpute/completion/protocols.hpp"
