//! Floats printed as Erlang and Elixir print them: the shortest form that reads back as the same value.

/// A float as Elixir 1.14 prints it (`:erlang.float_to_binary(f, [:short])`):
/// the shortest digits that read back to the same float, in decimal
/// notation when the exponent is below 16 and (for negative exponents) the
/// decimal form is no longer than the scientific one.
pub fn format_float(v: f64) -> String {
    if !v.is_finite() {
        return format!("{v}");
    }
    // `{:e}` gives the shortest digits that read back, but breaks an exact
    // tie between two such candidates upwards; OTP rounds ties to even, as
    // the correctly rounded `{:.N$e}` does.
    let shortest = format!("{v:e}");
    let n = shortest
        .trim_start_matches('-')
        .split('e')
        .next()
        .unwrap_or("")
        .len()
        .saturating_sub(2);
    let rounded = format!("{v:.n$e}");
    let sci = if rounded.parse::<f64>() == Ok(v) {
        rounded
    } else {
        shortest
    };
    let (sign, sci) = match sci.strip_prefix('-') {
        Some(s) => ("-", s),
        None => ("", sci.as_str()),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let scientific = {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { "0" } else { tail };
        format!("{sign}{head}.{tail}e{exp}")
    };
    if exp >= 16 {
        return scientific;
    }
    if exp >= 0 {
        let int_len = exp as usize + 1;
        return if digits.len() <= int_len {
            let zeros = "0".repeat(int_len - digits.len());
            format!("{sign}{digits}{zeros}.0")
        } else {
            let (int, frac) = digits.split_at(int_len);
            format!("{sign}{int}.{frac}")
        };
    }
    let zeros = "0".repeat((-exp - 1) as usize);
    let decimal = format!("{sign}0.{zeros}{digits}");
    if decimal.len() <= scientific.len() {
        decimal
    } else {
        scientific
    }
}
