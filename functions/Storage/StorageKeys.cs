using System.Security.Cryptography;
using System.Text;

namespace Automation.Storage;

/// <summary>Table keys may not contain / \ # ? or control characters; these helpers make any text safe and bounded.</summary>
public static class StorageKeys
{
    public static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value)
        {
            builder.Append(c is '/' or '\\' or '#' or '?' or '%' || char.IsControl(c) ? $"%{(int)c:X2}" : c);
        }

        return builder.ToString();
    }

    /// <summary>A stable 32-hex-character key for text of any length (for dedupe keys and idempotency keys).</summary>
    public static string Hash(string value) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)).AsSpan(0, 16));

    public static string Hash(ReadOnlySpan<byte> value) => Convert.ToHexStringLower(SHA256.HashData(value).AsSpan(0, 16));

    /// <summary>Row keys that sort newest first.</summary>
    public static string ReverseTicks(DateTimeOffset time) => (DateTimeOffset.MaxValue.UtcTicks - time.UtcTicks).ToString("D19");
}
