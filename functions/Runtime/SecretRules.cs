namespace Automation.Runtime;

/// <summary>
/// What every secret setting must be before the app starts: the admin key, the signing secrets and each store's
/// webhook secrets. A refused value stops the start with a message naming the setting (never the value).
/// <list type="bullet">
/// <item><b>At least 32 characters.</b> Secrets we generate: 32 hex characters are 128 bits, and
/// <c>openssl rand -base64 32</c> gives 44 characters (256 bits). Webhook secrets are the platforms': Shopify's app
/// client secret is 32 hex characters (<c>shpss_</c> + 32 in newer apps) and the signing key of webhooks made in the
/// admin 64; WooCommerce makes a 50-character one when the secret field is left empty, so only a secret a merchant
/// typed can be shorter, and such a one is what an attacker with one signed delivery can guess offline.</item>
/// <item><b>At least 8 different characters</b>: refuses <c>aaaa…</c> and <c>abab…</c>. A random 32-hex-character
/// secret has fewer than 8 with a chance of about 4 in 100 million.</item>
/// <item><b>No sample words</b> (<c>changeme</c>, <c>placeholder</c>, <c>example</c>, …) and none of the values this
/// repository once shipped (<c>local-admin-key</c>, the old demo secrets): a secret anyone can read is no secret.</item>
/// </list>
/// </summary>
public static class SecretRules
{
    public const int MinimumLength = 32;
    public const int MinimumDistinctCharacters = 8;

    /// <summary>How to make a good one, for the messages.</summary>
    public const string HowToGenerate = "generate one with `openssl rand -base64 32`";

    // Lower case; matched anywhere in the value, case-insensitively.
    private static readonly string[] SampleWords =
    [
        "changeme", "change-me", "change_me", "replaceme", "replace-me", "replace_me", "placeholder", "example", "sample", "password",
        "local-admin-key", "test-admin-key", "demo-shopify-secret", "demo-woo-secret",
    ];

    /// <summary>The problems with a secret setting's value (none when it is empty: whether it is required is the caller's rule).</summary>
    public static IEnumerable<string> Check(string setting, string? value, string? advice = null)
    {
        // Empty: whether it is required is the caller's rule. A sample's <…> placeholder: the placeholder check names it.
        if (string.IsNullOrEmpty(value) || ValidatePlaceholderSettings.IsPlaceholder(value)) yield break;
        var how = advice ?? HowToGenerate;
        if (SampleWords.FirstOrDefault(w => value.Contains(w, StringComparison.OrdinalIgnoreCase)) is { } word)
        {
            yield return $"{setting} contains '{word}', like the sample and placeholder values anyone can read: set a secret of your own ({how}).";
        }
        else if (value.Length < MinimumLength)
        {
            yield return $"{setting} is too short ({value.Length} characters): a secret needs at least {MinimumLength} ({how}).";
        }
        else if (value.Distinct().Count() < MinimumDistinctCharacters)
        {
            yield return $"{setting} repeats too few different characters to be secret (fewer than {MinimumDistinctCharacters}): {how}.";
        }
    }
}
