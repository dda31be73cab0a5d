using System.Security.Cryptography;

namespace Automation.Webhooks;

/// <summary>HMAC-SHA256 over the raw body bytes, base64 in the header (Shopify and WooCommerce alike), compared in constant time.</summary>
public static class WebhookSignature
{
    public static bool IsValid(ReadOnlySpan<byte> rawBody, string? signatureHeader, IReadOnlyList<byte[]> secrets)
    {
        if (string.IsNullOrEmpty(signatureHeader) || rawBody.IsEmpty) return false;
        Span<byte> expected = stackalloc byte[64];
        if (!Convert.TryFromBase64String(signatureHeader.Trim(), expected, out var length) || length != HMACSHA256.HashSizeInBytes) return false;
        expected = expected[..length];

        Span<byte> actual = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var valid = false;
        foreach (var secret in secrets)
        {
            HMACSHA256.HashData(secret, rawBody, actual);
            // Every secret is tried so the time taken does not tell which one matched.
            valid |= CryptographicOperations.FixedTimeEquals(actual, expected);
        }

        return valid;
    }

    public static string Sign(ReadOnlySpan<byte> rawBody, byte[] secret) => Convert.ToBase64String(HMACSHA256.HashData(secret, rawBody));
}
