// The explicit instantiations that cimpute's own programs (tests, examples, benchmarks) share:
// compiled once into the cimpute_instances library, declared `extern template` in the headers
// when CIMPUTE_EXTERN_TEMPLATES is 1 (set by that library for everything linking it). Every
// completion method is instantiated here once instead of in each program that picks methods by
// name (about 70 s of compile time per such translation unit).
#include <cimpute/completion/registry.hpp>

namespace cimpute {
template AnyCompletion<double> make_completion_method<double>(const std::string&,
                                                              const CompletionSetup&);
} // namespace cimpute
