using System.Text;
using System.Text.Json.Serialization;
using Automation.Stores;

namespace Automation.Webhooks;

/// <summary>
/// An accepted (authenticated) delivery on its way from intake to translation. Small bodies travel inline; large
/// ones are put in blob storage first and referenced.
/// </summary>
// WARNING: messages in flight on "webhook-deliveries" and rows kept for replay use this shape. Add properties only.
public sealed record WebhookDelivery
{
    public int V { get; init; } = 1;
    public required string Id { get; init; }
    public required string StoreId { get; init; }
    public required Platform Platform { get; init; }
    public required string Topic { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required IReadOnlyDictionary<string, string> Headers { get; init; }

    /// <summary>The body as text when it is valid UTF-8 (it is, for JSON), so it round-trips byte for byte.</summary>
    public string? Body { get; init; }

    /// <summary>The body in base64 when it is not valid UTF-8.</summary>
    public string? BodyBase64 { get; init; }

    /// <summary>Blob name in <c>webhook-bodies</c> when the body was too large to travel inline.</summary>
    public string? BodyBlob { get; init; }

    /// <summary>Set by a replay: translate again even if this delivery was already processed.</summary>
    public bool Replay { get; init; }

    /// <summary>W3C trace context of the intake request, so translation and everything after it continue its trace.</summary>
    public string? TraceParent { get; init; }

    [JsonIgnore]
    public bool HasInlineBody => Body is not null || BodyBase64 is not null;

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    public static (string? Text, string? Base64) EncodeBody(ReadOnlySpan<byte> body)
    {
        try
        {
            return (StrictUtf8.GetString(body), null);
        }
        catch (DecoderFallbackException)
        {
            return (null, Convert.ToBase64String(body));
        }
    }

    public byte[] InlineBodyBytes() =>
        Body is not null ? Encoding.UTF8.GetBytes(Body)
        : BodyBase64 is not null ? Convert.FromBase64String(BodyBase64)
        : throw new InvalidOperationException("The body is in blob storage.");

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
