using System.Collections.Frozen;
using System.Globalization;

namespace Automation.Email;

/// <summary>
/// Amounts as a customer of the store reads them: the store's locale decides separators, decimals and where the
/// symbol goes (en-US "€59.90", de-DE "59,90 €", nl-NL "€ 59,90"); the currency decides the symbol and the number of
/// decimals (JPY has none). A symbol that several currencies share ("$", "kr") is used only for the locale's own
/// currency; elsewhere the ISO code is clearer ("CAD 12.50" in an en-US store).
/// </summary>
public static class MoneyFormat
{
    private sealed record CurrencyInfo(string Symbol, int Digits);

    private static readonly FrozenDictionary<string, CurrencyInfo> Currencies = BuildCurrencies(out SharedSymbols);
    private static readonly FrozenSet<string> SharedSymbols;

    public static string Format(decimal amount, string? currency, CultureInfo culture) => amount.ToString("C", NumberFormat(currency, culture));

    /// <summary>Shopify's <c>money_with_currency</c>: "€59.90 EUR", or "CAD 12.50" where the code is the symbol already.</summary>
    public static string WithCode(decimal amount, string? currency, CultureInfo culture)
    {
        var text = Format(amount, currency, culture);
        var code = (currency ?? "").ToUpperInvariant();
        return code.Length == 0 || text.Contains(code, StringComparison.Ordinal) ? text : text + " " + code;
    }

    /// <summary>The number alone, with the currency's decimals: "59.90".</summary>
    public static string Number(decimal amount, string? currency, CultureInfo culture) =>
        amount.ToString("N" + NumberFormat(currency, culture).CurrencyDecimalDigits.ToString(CultureInfo.InvariantCulture), culture);

    private static NumberFormatInfo NumberFormat(string? currency, CultureInfo culture)
    {
        var format = (NumberFormatInfo)culture.NumberFormat.Clone();
        var iso = (currency ?? "").Trim().ToUpperInvariant();
        if (iso.Length == 0) return format;

        var own = OwnCurrency(culture);
        if (own == iso)
        {
            // The locale's own currency: its own symbol and decimals.
            return format;
        }

        var info = Currencies.GetValueOrDefault(iso);
        format.CurrencyDecimalDigits = info?.Digits ?? 2;
        var symbol = info is not null && !SharedSymbols.Contains(info.Symbol) ? info.Symbol : iso;
        format.CurrencySymbol = symbol;
        if (symbol.Any(char.IsLetter))
        {
            // A code or a word needs a space between it and the number: "CAD 12.50", not "CAD12.50".
            format.CurrencyPositivePattern = format.CurrencyPositivePattern switch { 0 => 2, 1 => 3, var p => p };
            format.CurrencyNegativePattern = format.CurrencyNegativePattern switch { 0 or 1 => 12, 5 => 8, var p => p };
        }

        return format;
    }

    private static string? OwnCurrency(CultureInfo culture)
    {
        if (culture.IsNeutralCulture || culture.Equals(CultureInfo.InvariantCulture)) return null;
        try { return new RegionInfo(culture.Name).ISOCurrencySymbol; }
        catch (ArgumentException) { return null; }
    }

    private static FrozenDictionary<string, CurrencyInfo> BuildCurrencies(out FrozenSet<string> shared)
    {
        var byCurrency = new Dictionary<string, List<(string Symbol, int Digits)>>(StringComparer.Ordinal);
        foreach (var culture in CultureInfo.GetCultures(CultureTypes.SpecificCultures))
        {
            if (OwnCurrency(culture) is not { Length: 3 } iso) continue;
            if (!byCurrency.TryGetValue(iso, out var list)) byCurrency[iso] = list = [];
            list.Add((culture.NumberFormat.CurrencySymbol, culture.NumberFormat.CurrencyDecimalDigits));
        }

        // The symbol and decimals most of the currency's locales use (EUR: €, 2; JPY: ¥, 0).
        var currencies = byCurrency.ToDictionary(
            kv => kv.Key,
            kv => new CurrencyInfo(
                kv.Value.GroupBy(v => v.Symbol).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).First().Key,
                kv.Value.GroupBy(v => v.Digits).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key),
            StringComparer.Ordinal);
        shared = byCurrency
            .SelectMany(kv => kv.Value.Select(v => (v.Symbol, Currency: kv.Key)))
            .GroupBy(x => x.Symbol, StringComparer.Ordinal)
            .Where(g => g.Select(x => x.Currency).Distinct(StringComparer.Ordinal).Count() > 1)
            .Select(g => g.Key)
            .ToFrozenSet(StringComparer.Ordinal);
        return currencies.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
