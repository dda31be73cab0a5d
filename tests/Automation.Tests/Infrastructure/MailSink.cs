using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Automation.Tests.Infrastructure;

/// <summary>A real SMTP server (maildev) on free loopback ports; tests read what arrived through its HTTP API.</summary>
public static class MailSink
{
    private static Process? _process;
    private static readonly HttpClient Http = new();

    public static int SmtpPort { get; private set; }
    public static Uri ApiBase { get; private set; } = new("http://127.0.0.1/");

    public static async Task StartAsync()
    {
        SmtpPort = LocalServices.FreePort();
        var web = LocalServices.FreePort();
        // Its own mail directory: maildev's default (/tmp/maildev) is shared by every sink on the machine, so one run's
        // "delete all" removed another's files mid-send (SMTP "ENOENT … .eml" errors and re-sent mail).
        var directory = Directory.CreateTempSubdirectory("maildev-").FullName;
        _process = LocalServices.StartNodeTool("maildev", $"--smtp {SmtpPort} --web {web} --ip 127.0.0.1 --silent --mail-directory {directory}", "maildev");
        await LocalServices.WaitForPortAsync(SmtpPort, _process, "maildev SMTP", TimeSpan.FromSeconds(30));
        await LocalServices.WaitForPortAsync(web, _process, "maildev web", TimeSpan.FromSeconds(30));
        ApiBase = new Uri($"http://127.0.0.1:{web}/");
    }

    public static void Stop() => LocalServices.Stop(_process);

    public static async Task<IReadOnlyList<ReceivedEmail>> AllAsync() =>
        await Http.GetFromJsonAsync<List<ReceivedEmail>>(new Uri(ApiBase, "api/email")) ?? [];

    public static Task ClearAsync() => Http.DeleteAsync(new Uri(ApiBase, "api/email/all"));

    /// <summary>Polls until the emails matching <paramref name="predicate"/> number at least <paramref name="count"/>.</summary>
    public static async Task<IReadOnlyList<ReceivedEmail>> WaitForAsync(Func<ReceivedEmail, bool> predicate, int count = 1, TimeSpan? timeout = null)
    {
        IReadOnlyList<ReceivedEmail> matching = [];
        await Eventually.Until(async () =>
        {
            matching = [.. (await AllAsync()).Where(predicate)];
            return matching.Count >= count;
        }, timeout ?? TimeSpan.FromSeconds(20), $"{count} matching email(s) in the sink");
        return matching;
    }

    /// <summary>Downloads the raw message (with headers and attachments) as maildev received it.</summary>
    public static Task<string> SourceAsync(string id) => Http.GetStringAsync(new Uri(ApiBase, $"api/email/{id}/source"));

    public static Task<byte[]> AttachmentAsync(string id, string fileName) =>
        Http.GetByteArrayAsync(new Uri(ApiBase, $"api/email/{id}/attachment/{Uri.EscapeDataString(fileName)}"));
}

public sealed class ReceivedEmail
{
    public string Id { get; set; } = "";
    public string Subject { get; set; } = "";
    public string? Html { get; set; }
    public string? Text { get; set; }
    public List<Address> To { get; set; } = [];
    public List<Address> From { get; set; } = [];
    public Dictionary<string, JsonElement> Headers { get; set; } = [];
    public List<Attachment> Attachments { get; set; } = [];

    [JsonIgnore]
    public string ToAddress => To.FirstOrDefault()?.AddressText ?? "";

    public string? Header(string name) =>
        Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.String } v ? v.GetString() : null;

    public sealed class Address
    {
        [JsonPropertyName("address")] public string AddressText { get; set; } = "";
        public string? Name { get; set; }
    }

    public sealed class Attachment
    {
        public string FileName { get; set; } = "";
        public string ContentType { get; set; } = "";
        public string? GeneratedFileName { get; set; }
    }
}
