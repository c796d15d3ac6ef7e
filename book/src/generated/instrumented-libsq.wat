;; $libsq of book/examples/dlopen-dlsym-call.wast, as wasmtime runs it (wasmi runs it without the probe)
(module $libsq
  (type (;0;) (func (param i32) (result i32)))
  (import "env" "memory" (memory (;0;) 1))
  (import "lockstep_probe" "on" (global (;0;) (mut i32)))
  (import "lockstep_probe" "id" (global (;1;) (mut i64)))
  (import "lockstep_probe" "self" (global (;2;) i64))
  (global $calls (;3;) (mut i32) i32.const 0)
  (export "square" (func 0))
  (export "__lockstep_memory_0" (memory 0))
  (export "__lockstep_global_0" (global $calls))
  (export "__lockstep_self" (global 2))
  (func (;0;) (type 0) (param i32) (result i32)
    global.get 0
    if ;; label = @1
      global.get 2
      i64.const 0
      i64.or
      global.set 1
      i32.const 0
      return
    end
    global.get $calls
    i32.const 1
    i32.add
    global.set $calls
    local.get 0
    local.get 0
    i32.mul
  )
  (data (;0;) (i32.const 32) "libsq loaded")
)

