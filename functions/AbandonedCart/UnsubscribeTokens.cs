using Automation.Runtime;

namespace Automation.AbandonedCart;

/// <summary>
/// Signed unsubscribe tokens: <c>{storeId}.{customerKey}.{signature}</c>. The customer key is a hash of the email,
/// so the link carries no personal data; the HMAC (with <c>Signing:Secret</c>, or <c>Signing:PreviousSecret</c> for
/// links sent before a rotation) stops anyone from unsubscribing someone else.
/// </summary>
public sealed class UnsubscribeTokens(SigningKeys keys)
{
    private const int SignatureBytes = 18;

    public string Create(string storeId, string customerKey)
    {
        var payload = $"{storeId}.{customerKey}";
        return payload + "." + Base64Url(keys.Sign(payload).AsSpan(0, SignatureBytes));
    }

    public (string StoreId, string CustomerKey)? Verify(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 200) return null;
        var parts = token.Split('.');
        if (parts.Length != 3 || FromBase64Url(parts[2]) is not { Length: SignatureBytes } signature) return null;
        return keys.Verify($"{parts[0]}.{parts[1]}", signature) ? (parts[0], parts[1]) : null;
    }

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string text)
    {
        try
        {
            return Convert.FromBase64String(text.Replace('-', '+').Replace('_', '/'));
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
