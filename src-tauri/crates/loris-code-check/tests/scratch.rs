use loris_code_check::*;
#[test]
fn scratch() {
    let cases = [
        ("sql:sqlite", "INSERT INTO t VALUES (1, 'abc');\n", "CREATE TABLE t (a, b);\n"),
        ("sql:postgres", "SELECT a::int, b FROM t WHERE c > 1;\n", ""),
        ("python", "def f(x: int) -> int:\n    return [i * 2 for i in range(x) if i % 3]\n", ""),
        ("ts", "export function f<T>(x: Array<T>): Map<string, T> { return new Map(x.map((v, i) => [String(i), v])); }\n", ""),
        ("tsx", "const C = ({a}: {a: number}) => <div className=\"x\">{a < 3 ? <b>hi</b> : null}</div>;\n", ""),
        ("js", "var x = 1 +;\n", ""),
        ("python", "def f(:\n", ""),
        ("sql:sqlite", "garbage garbage;\n", ""),
    ];
    for (l, line, setup) in cases {
        let code = line.repeat((MAX_CODE_BYTES - setup.len()) / line.len());
        let code = format!("{setup}{code}");
        let t = std::time::Instant::now();
        let o = check(&Language::parse(l).unwrap(), &code, &CheckOptions::default());
        println!("RESULT {l} valid={} n={} {:?} {:?}", o.is_valid, o.error_count, o.error_messages.first().map(|i| (&i.message, i.line)), t.elapsed());
    }
}
