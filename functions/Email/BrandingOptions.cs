using System.Globalization;
using System.Text.RegularExpressions;
using Automation.Stores;

namespace Automation.Email;

/// <summary>
/// How a store's emails look and sign off: <c>Branding:*</c> for the deployment, overridable per store under
/// <c>Stores:{id}:Branding:*</c>. Validated at start.
/// </summary>
public sealed partial class BrandingOptions
{
    public const string Section = "Branding";

    /// <summary>Unset: the earlier <c>AbandonedCart:StoreName</c> (store's, then deployment's), else the store id.</summary>
    public string? StoreName { get; set; }

    /// <summary>An absolute https URL of the logo (PNG or JPEG; shown at <see cref="LogoWidth"/> pixels wide). Unset: the store name in text.</summary>
    public string? LogoUrl { get; set; }

    public int LogoWidth { get; set; } = 140;

    /// <summary>Buttons, links and the card's top rule: <c>#RRGGBB</c> or <c>#RGB</c>.</summary>
    public string AccentColor { get; set; } = "#2563EB";

    /// <summary>Where customers write with questions; shown in the footer of customers' emails.</summary>
    public string? SupportEmail { get; set; }

    /// <summary>A line at the bottom of every email, e.g. the company's name and address.</summary>
    public string? Footer { get; set; }

    /// <summary>The storefront (absolute https URL); the logo links to it.</summary>
    public string? WebsiteUrl { get; set; }

    /// <summary>How amounts and dates are written (a culture name: en-US, en-GB, de-DE, nl-NL, fr-FR …).</summary>
    public string Locale { get; set; } = "en-US";

    public IEnumerable<string> Validate(string where)
    {
        if (StoreName is { Length: > 100 }) yield return $"{where}:StoreName must be at most 100 characters.";
        if (LogoUrl is not null && !IsHttps(LogoUrl)) yield return $"{where}:LogoUrl '{LogoUrl}' must be an absolute https URL.";
        if (WebsiteUrl is not null && !IsHttps(WebsiteUrl)) yield return $"{where}:WebsiteUrl '{WebsiteUrl}' must be an absolute https URL.";
        if (LogoWidth is < 40 or > 560) yield return $"{where}:LogoWidth must be 40 to 560 pixels.";
        if (!HexColor().IsMatch(AccentColor ?? "")) yield return $"{where}:AccentColor '{AccentColor}' must be a hex colour like #2563EB.";
        if (SupportEmail is not null && !EmailAddress().IsMatch(SupportEmail)) yield return $"{where}:SupportEmail '{SupportEmail}' is not an email address.";
        if (Footer is { Length: > 500 }) yield return $"{where}:Footer must be at most 500 characters.";
        if (Culture(Locale) is null) yield return $"{where}:Locale '{Locale}' is not a known culture (use a name like en-US or de-DE).";
    }

    internal static CultureInfo? Culture(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return null;
        try
        {
            var culture = CultureInfo.GetCultureInfo(name, predefinedOnly: true);
            return culture.IsNeutralCulture || culture.Equals(CultureInfo.InvariantCulture) ? null : culture;
        }
        catch (CultureNotFoundException)
        {
            return null;
        }
    }

    private static bool IsHttps(string url) => Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps;

    [GeneratedRegex("^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$")]
    private static partial Regex HexColor();

    [GeneratedRegex(@"^[^@\s<>""]+@[^@\s<>""]+\.[^@\s<>""]+$")]
    private static partial Regex EmailAddress();
}

/// <summary>What every template sees as <c>store</c>: the store's branding, ready to use in HTML.</summary>
public sealed record StoreBrand(
    string Id,
    string Platform,
    string Name,
    string? LogoUrl,
    int LogoWidth,
    string AccentColor,
    string AccentTextColor,
    string AccentOnDark,
    string? SupportEmail,
    string? Footer,
    string? WebsiteUrl,
    string Currency,
    string Locale,
    string Language)
{
    public static StoreBrand For(Store store, BrandingOptions options, IConfiguration configuration)
    {
        var accent = Colors.Normalize(options.AccentColor);
        var culture = BrandingOptions.Culture(options.Locale) ?? CultureInfo.GetCultureInfo("en-US");
        var name = options.StoreName
            ?? configuration[$"Stores:{store.Id}:AbandonedCart:StoreName"]
            ?? configuration["AbandonedCart:StoreName"]
            ?? store.Id;
        return new StoreBrand(store.Id, store.Platform.ToString(), name, options.LogoUrl, options.LogoWidth, accent,
            Colors.ReadableOn(accent), Colors.LightenForDark(accent), options.SupportEmail, options.Footer, options.WebsiteUrl,
            store.Currency, culture.Name, culture.TwoLetterISOLanguageName);
    }

    internal CultureInfo Culture => CultureInfo.GetCultureInfo(Locale);
}

/// <summary>Colour arithmetic for readable buttons and links in light and dark mode (WCAG relative luminance).</summary>
internal static class Colors
{
    public static string Normalize(string hex)
    {
        var h = hex.TrimStart('#');
        if (h.Length == 3) h = string.Concat(h.Select(c => new string(c, 2)));
        return "#" + h.ToUpperInvariant();
    }

    /// <summary>White or near-black text, whichever contrasts more with the colour.</summary>
    public static string ReadableOn(string hex) => Contrast(Luminance(hex), 1.0) >= Contrast(Luminance(hex), Luminance("#111827")) ? "#FFFFFF" : "#111827";

    /// <summary>The accent, lightened until it reads on the dark card (#1A1D23) at 4.5:1, for links in dark mode.</summary>
    public static string LightenForDark(string hex)
    {
        var dark = Luminance("#1A1D23");
        var (r, g, b) = Rgb(hex);
        for (var step = 0; step < 12; step++)
        {
            if (Contrast(Luminance(ToHex(r, g, b)), dark) >= 4.5) return ToHex(r, g, b);
            (r, g, b) = (r + (255 - r + 3) / 4, g + (255 - g + 3) / 4, b + (255 - b + 3) / 4);
        }

        return "#FFFFFF";
    }

    private static (int R, int G, int B) Rgb(string hex)
    {
        var h = Normalize(hex)[1..];
        return (Convert.ToInt32(h[..2], 16), Convert.ToInt32(h[2..4], 16), Convert.ToInt32(h[4..], 16));
    }

    private static string ToHex(int r, int g, int b) => string.Create(CultureInfo.InvariantCulture, $"#{r:X2}{g:X2}{b:X2}");

    private static double Luminance(string hex)
    {
        var (r, g, b) = Rgb(hex);
        static double Channel(int c)
        {
            var s = c / 255.0;
            return s <= 0.03928 ? s / 12.92 : Math.Pow((s + 0.055) / 1.055, 2.4);
        }

        return 0.2126 * Channel(r) + 0.7152 * Channel(g) + 0.0722 * Channel(b);
    }

    private static double Contrast(double a, double b) => (Math.Max(a, b) + 0.05) / (Math.Min(a, b) + 0.05);
}
