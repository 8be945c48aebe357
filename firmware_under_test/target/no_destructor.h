#pragma once
// Static storage for an object that lives as long as the device runs: built by the start-up code's
// static constructors, never destroyed. An ordinary static object with a non-trivial destructor
// (any class with a virtual one) would register that destructor with __aeabi_atexit, and with it
// the exit machinery, for a program that never exits.
#include <new>
#include <utility>

#include "startup.h"

namespace amprig::target {

template <typename T>
class NoDestructor {
 public:
  template <typename... Args>
  explicit NoDestructor(Args&&... args) {
    new (m_storage) T(std::forward<Args>(args)...);
  }
  NoDestructor(const NoDestructor&) = delete;
  NoDestructor& operator=(const NoDestructor&) = delete;

  T& operator*() { return *get(); }
  T* operator->() { return get(); }
  T* get() { return std::launder(reinterpret_cast<T*>(m_storage)); }

 private:
  alignas(T) unsigned char m_storage[sizeof(T)];
};

// A base for objects in NoDestructor whose class has a virtual destructor: such a class still gets
// a deleting destructor in its vtable, which would reference the global operator delete (and with
// it free() and the heap). This one is never called.
struct NeverDeleted {
  static void operator delete(void*) { halt(); }
};

}  // namespace amprig::target
