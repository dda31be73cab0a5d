using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Automation.AbandonedCart;

/// <summary>
/// Signed unsubscribe tokens: <c>{storeId}.{customerKey}.{signature}</c>. The customer key is a hash of the email,
/// so the link carries no personal data; the HMAC stops anyone from unsubscribing someone else.
/// </summary>
public sealed class UnsubscribeTokens
{
    private readonly byte[] _key;

    public UnsubscribeTokens(IOptions<AbandonedCartOptions> options, IConfiguration configuration)
    {
        var secret = options.Value.UnsubscribeSecret;
        var connectionString = configuration["AzureWebJobsStorage"];
        // With identity-based storage there is no connection string (and so no secret) to derive a key from.
        if (string.IsNullOrEmpty(secret) && string.IsNullOrEmpty(connectionString))
            throw new InvalidOperationException("AbandonedCart:UnsubscribeSecret is not set: with identity-based storage it must be (a long random string; infra/ keeps it in Key Vault).");
        _key = string.IsNullOrEmpty(secret)
            ? SHA256.HashData(Encoding.UTF8.GetBytes("unsubscribe-tokens:" + connectionString))
            : Encoding.UTF8.GetBytes(secret);
    }

    public string Create(string storeId, string customerKey)
    {
        var payload = $"{storeId}.{customerKey}";
        return payload + "." + Sign(payload);
    }

    public (string StoreId, string CustomerKey)? Verify(string? token)
    {
        if (string.IsNullOrEmpty(token)) return null;
        var parts = token.Split('.');
        if (parts.Length != 3) return null;
        var expected = Encoding.ASCII.GetBytes(Sign($"{parts[0]}.{parts[1]}"));
        var given = Encoding.ASCII.GetBytes(parts[2]);
        return CryptographicOperations.FixedTimeEquals(expected, given) ? (parts[0], parts[1]) : null;
    }

    private string Sign(string payload) =>
        Convert.ToBase64String(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(payload)).AsSpan(0, 18)).Replace('+', '-').Replace('/', '_');
}
