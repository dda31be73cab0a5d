using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Automation.Runtime;

/// <summary>
/// <c>Signing:*</c>: the deployment's own secret for what it hands out and must recognise later — the unsubscribe links
/// in recovery emails, and the coupon and free-shipping codes (keyed, so nobody can work one out from a flow id or an
/// RMA). Its own setting, never derived from the storage connection (public with <c>UseDevelopmentStorage=true</c>, and
/// rotating the storage key would break every link already sent).
/// </summary>
public sealed class SigningOptions
{
    public const string Section = "Signing";

    /// <summary>Required; at least 32 characters (see <see cref="SecretRules"/>).</summary>
    public string? Secret { get; set; }

    /// <summary>
    /// The secret before the last rotation: links it signed keep working until it is removed. Rotation: move
    /// <c>Secret</c> here, set a new <c>Secret</c>, and remove this once the links sent before are old enough not to matter.
    /// </summary>
    public string? PreviousSecret { get; set; }

    internal sealed class Validator(IConfiguration configuration) : IValidateOptions<SigningOptions>
    {
        public ValidateOptionsResult Validate(string? name, SigningOptions options)
        {
            var errors = new List<string>();
            if (string.IsNullOrEmpty(options.Secret))
                errors.Add($"{Section}:Secret is required: it signs unsubscribe links and keys coupon codes ({SecretRules.HowToGenerate}).");
            errors.AddRange(SecretRules.Check($"{Section}:Secret", options.Secret));
            errors.AddRange(SecretRules.Check($"{Section}:PreviousSecret", options.PreviousSecret));
            if (options.PreviousSecret is { Length: > 0 } && options.PreviousSecret == options.Secret)
                errors.Add($"{Section}:PreviousSecret equals {Section}:Secret: a rotation needs a new Secret.");
            if (configuration["AbandonedCart:UnsubscribeSecret"] is { Length: > 0 })
            {
                errors.Add($"AbandonedCart:UnsubscribeSecret is no longer read: set {Section}:Secret to a new secret and {Section}:PreviousSecret to the old "
                    + "unsubscribe secret, so the links already sent keep working, then remove AbandonedCart:UnsubscribeSecret.");
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}

/// <summary>HMAC-SHA256 with the signing secret; verification also accepts the previous secret during a rotation.</summary>
public sealed class SigningKeys
{
    // Crockford's base 32: no I, L, O or U, so a code read aloud or typed is not mistaken.
    private const string CodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private readonly byte[] _current;
    private readonly byte[]? _previous;

    public SigningKeys(IOptions<SigningOptions> options)
    {
        var value = options.Value;
        if (string.IsNullOrEmpty(value.Secret)) throw new OptionsValidationException(SigningOptions.Section, typeof(SigningOptions), [$"{SigningOptions.Section}:Secret is required."]);
        _current = Encoding.UTF8.GetBytes(value.Secret);
        _previous = string.IsNullOrEmpty(value.PreviousSecret) ? null : Encoding.UTF8.GetBytes(value.PreviousSecret);
    }

    /// <summary>The MAC of <paramref name="payload"/> with the current secret.</summary>
    // WARNING: unsubscribe links already sent are checked with this exact construction (the payload's UTF-8 bytes, no prefix).
    public byte[] Sign(string payload) => HMACSHA256.HashData(_current, Encoding.UTF8.GetBytes(payload));

    /// <summary>Whether <paramref name="mac"/> is the payload's MAC (its first <c>mac.Length</c> bytes) under the current or the previous secret, in constant time.</summary>
    public bool Verify(string payload, ReadOnlySpan<byte> mac)
    {
        if (mac.Length is < 16 or > 32) return false;
        var data = Encoding.UTF8.GetBytes(payload);
        var current = CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_current, data).AsSpan(0, mac.Length), mac);
        var previous = _previous is not null && CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(_previous, data).AsSpan(0, mac.Length), mac);
        return current | previous;
    }

    /// <summary>
    /// A code nobody can work out without the secret: <paramref name="length"/> Crockford base-32 characters of the HMAC
    /// of <c>{purpose}:{subject}</c> (5 bits each: 12 characters are 60 bits). The same subject gives the same code, so a
    /// retry after a crash asks the platform for the code it may already have made.
    /// </summary>
    // WARNING: coupon and free-shipping codes already made are found again (after a crash) with this construction.
    public string Code(string purpose, string subject, int length = 12)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 51);
        var mac = HMACSHA256.HashData(_current, Encoding.UTF8.GetBytes($"{purpose}:{subject}"));
        var builder = new StringBuilder(length);
        int buffer = 0, bits = 0, index = 0;
        while (builder.Length < length)
        {
            if (bits < 5)
            {
                buffer = (buffer << 8) | mac[index++];
                bits += 8;
            }

            bits -= 5;
            builder.Append(CodeAlphabet[(buffer >> bits) & 31]);
        }

        return builder.ToString();
    }
}
