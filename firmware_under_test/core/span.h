#pragma once
// A minimal non-owning view: the firmware core is C++17 (no std::span) and
// passes buffers as (pointer, length) pairs with bounds in one place.
#include <cstddef>

namespace amprig::fw {

template <typename T>
class Span {
 public:
  constexpr Span() = default;
  constexpr Span(T* data, std::size_t size) : m_data(data), m_size(size) {}
  template <std::size_t N>
  constexpr Span(T (&array)[N]) : m_data(array), m_size(N) {}  // NOLINT: implicit by design
  template <typename U>
  constexpr Span(const Span<U>& other)  // NOLINT: T* from U* (adds const)
      : m_data(other.data()), m_size(other.size()) {}

  constexpr T* data() const { return m_data; }
  constexpr std::size_t size() const { return m_size; }
  constexpr bool empty() const { return m_size == 0; }
  constexpr T& operator[](std::size_t i) const { return m_data[i]; }
  constexpr T* begin() const { return m_data; }
  constexpr T* end() const { return m_data + m_size; }
  constexpr Span subspan(std::size_t offset, std::size_t count) const {
    return Span(m_data + offset, count);
  }

 private:
  T* m_data = nullptr;
  std::size_t m_size = 0;
};

}  // namespace amprig::fw
