using System.Globalization;
using System.Text.Json;
using Automation.Events;

namespace Automation.Webhooks;

public enum TranslationOutcome
{
    /// <summary>Translated into zero or more events.</summary>
    Events,

    /// <summary>Authentic and readable, but a topic we do not act on: kept and acknowledged.</summary>
    Ignored,

    /// <summary>Authentic but not readable: kept with the reason and sent to poison.</summary>
    Unparseable,
}

/// <summary>The version of a resource a delivery describes, so an older delivery never overwrites newer state.</summary>
public sealed record ResourceVersion(string Key, DateTimeOffset UpdatedAt);

public sealed record Translation(string DedupeKey, TranslationOutcome Outcome, string? Reason, ResourceVersion? Version, IReadOnlyList<StoreEvent> Events)
{
    public static Translation Ignored(string dedupeKey, string reason) => new(dedupeKey, TranslationOutcome.Ignored, reason, null, []);

    public static Translation Unparseable(string dedupeKey, string reason) => new(dedupeKey, TranslationOutcome.Unparseable, reason, null, []);
}

/// <summary>Turns one platform's deliveries into our events. Pure: no I/O, so every topic is tested on fixtures.</summary>
public interface IWebhookTranslator
{
    Translation Translate(WebhookDelivery delivery, ReadOnlyMemory<byte> body);
}

/// <summary>Tolerant readers for platform JSON: ids above 2^53, money as strings, nulls where fields are optional.</summary>
internal static class JsonRead
{
    public static JsonElement? Prop(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string? Str(this JsonElement element, string name) => element.Prop(name) switch
    {
        { ValueKind: JsonValueKind.String } v => v.GetString(),
        { ValueKind: JsonValueKind.Number } v => v.GetRawText(),
        _ => null,
    };

    public static long? Long(this JsonElement element, string name) => element.Prop(name) switch
    {
        { ValueKind: JsonValueKind.Number } v when v.TryGetInt64(out var n) => n,
        { ValueKind: JsonValueKind.String } v when long.TryParse(v.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    public static int? Int(this JsonElement element, string name) => element.Long(name) is { } n && n is >= int.MinValue and <= int.MaxValue ? (int)n : null;

    public static decimal? Decimal(this JsonElement element, string name) => element.Prop(name) switch
    {
        { ValueKind: JsonValueKind.Number } v when v.TryGetDecimal(out var d) => d,
        { ValueKind: JsonValueKind.String } v when decimal.TryParse(v.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    public static bool Bool(this JsonElement element, string name) => element.Prop(name) is { ValueKind: JsonValueKind.True };

    public static DateTimeOffset? Date(this JsonElement element, string name, bool assumeUtc = false)
    {
        var text = element.Str(name);
        if (string.IsNullOrEmpty(text)) return null;
        var styles = assumeUtc ? DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal : DateTimeStyles.None;
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, styles, out var date) ? date : null;
    }

    public static IEnumerable<JsonElement> Array(this JsonElement element, string name) =>
        element.Prop(name) is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : [];

    public static long RequiredLong(this JsonElement element, string name) =>
        element.Long(name) ?? throw new FormatException($"'{name}' is missing or not an integer.");
}
