;; purpose: an Emscripten-style side module loaded by the script as loader: table grown first, env bases, GOT.mem/GOT.func filled, relocs and ctors run, main calls the side through the table
(module $main
  (type $ii (func (param i32) (result i32)))
  (memory (export "memory") 1 4)
  (table (export "table") 2 10 funcref)
  ;; slot 0 stays null (the C null function pointer); main's callback at slot 1
  (elem (i32.const 1) func $main_cb)
  ;; main's data symbol `main_counter` at address 16
  (data (i32.const 16) "\2a\00\00\00")
  (func $main_cb (type $ii) (i32.mul (local.get 0) (i32.const 3)))
  (func (export "grow_table") (param i32) (result i32) (table.grow (ref.null func) (local.get 0)))
  (func (export "table_size") (result i32) (table.size))
  (func (export "call_i") (param i32 i32) (result i32)
    (call_indirect (type $ii) (local.get 1) (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
(register "main" $main)

;; the loader reserves the side's table slots (dylink mem-info: table size 3) before instantiating
(assert_return (invoke $main "grow_table" (i32.const 3)) (i32.const 2))
(assert_return (invoke $main "table_size") (i32.const 5))

;; the loader's `env`: main's memory and table under their Emscripten names, and the bases it chose
(module $env
  (import "main" "memory" (memory 1 4))
  (import "main" "table" (table 5 10 funcref))
  (global (export "__memory_base") i32 (i32.const 1024))
  (global (export "__table_base") i32 (i32.const 2))
  (global (export "__stack_pointer") (mut i32) (i32.const 4096))
  (export "memory" (memory 0))
  (export "__indirect_function_table" (table 0)))
(register "env" $env)

;; GOT entries: mutable i32 globals the loader fills after resolving symbols
(module $got_mem
  (global $main_counter (export "main_counter") (mut i32) (i32.const 0))
  (func (export "set_main_counter") (param i32) (global.set $main_counter (local.get 0))))
(register "GOT.mem" $got_mem)
(module $got_func
  (global $main_cb (export "main_cb") (mut i32) (i32.const 0))
  (func (export "set_main_cb") (param i32) (global.set $main_cb (local.get 0))))
(register "GOT.func" $got_func)
;; main_counter lives at 16 in main; main_cb at slot 1
(invoke $got_mem "set_main_counter" (i32.const 16))
(invoke $got_func "set_main_cb" (i32.const 1))

(module $side
  (type $ii (func (param i32) (result i32)))
  (import "env" "memory" (memory 1))
  (import "env" "__indirect_function_table" (table 1 funcref))
  (import "env" "__memory_base" (global $mb i32))
  (import "env" "__table_base" (global $tb i32))
  (import "env" "__stack_pointer" (global $sp (mut i32)))
  (import "GOT.mem" "main_counter" (global $got_counter (mut i32)))
  (import "GOT.func" "main_cb" (global $got_cb (mut i32)))
  ;; the side's functions at __table_base, its data at __memory_base
  (elem (global.get $tb) func $side_add $side_greeting $side_call_main)
  ;; static int = 7 at mb+0, "hi" at mb+4, a pointer to it at mb+8 (relocated at load)
  (data (global.get $mb) "\07\00\00\00hi")
  (func $side_add (type $ii) (i32.add (local.get 0) (i32.load (global.get $mb))))
  (func $side_greeting (type $ii)
    (i32.load16_u (i32.add (global.get $mb) (local.get 0))))
  ;; calls main_cb through GOT.func and adds main_counter read through GOT.mem
  (func $side_call_main (type $ii)
    (i32.add
      (call_indirect (type $ii) (local.get 0) (global.get $got_cb))
      (i32.load (global.get $got_counter))))
  (func (export "__wasm_apply_data_relocs")
    (i32.store (i32.add (global.get $mb) (i32.const 8)) (i32.add (global.get $mb) (i32.const 4))))
  ;; a constructor: uses a stack frame, and increments main_counter through GOT.mem
  (func (export "__wasm_call_ctors")
    (global.set $sp (i32.sub (global.get $sp) (i32.const 16)))
    (i32.store (global.get $sp) (i32.const 5))
    (i32.store (global.get $got_counter) (i32.add (i32.load (global.get $got_counter)) (i32.const 1)))
    (global.set $sp (i32.add (global.get $sp) (i32.const 16))))
  (export "side_add" (func $side_add)))

;; the data is in place, the pointer not yet relocated
(assert_return (invoke $main "load" (i32.const 1024)) (i32.const 7))
(assert_return (invoke $main "load" (i32.const 1032)) (i32.const 0))
(invoke $side "__wasm_apply_data_relocs")
(assert_return (invoke $main "load" (i32.const 1032)) (i32.const 1028))
(assert_return (invoke $main "load" (i32.const 16)) (i32.const 42))
(invoke $side "__wasm_call_ctors")
(assert_return (invoke $main "load" (i32.const 16)) (i32.const 43))
(assert_return (invoke $main "load" (i32.const 4080)) (i32.const 5))
(assert_return (get $env "__stack_pointer") (i32.const 4096))

;; main calls the side through the table
(assert_return (invoke $main "call_i" (i32.const 2) (i32.const 5)) (i32.const 12))
(assert_return (invoke $main "call_i" (i32.const 3) (i32.const 4)) (i32.const 0x6968))
;; side -> main through GOT.func: 10*3 + 43
(assert_return (invoke $main "call_i" (i32.const 4) (i32.const 10)) (i32.const 73))
;; the export and the table slot are the same function
(assert_return (invoke $side "side_add" (i32.const 1)) (i32.const 8))
;; the null function pointer and the end of the table
(assert_trap (invoke $main "call_i" (i32.const 0) (i32.const 1)) "uninitialized element")
(assert_trap (invoke $main "call_i" (i32.const 5) (i32.const 1)) "undefined element")
;; the loader moves main_counter's GOT entry: the side follows it at once
(invoke $got_mem "set_main_counter" (i32.const 1024))
(assert_return (invoke $main "call_i" (i32.const 4) (i32.const 10)) (i32.const 37))
