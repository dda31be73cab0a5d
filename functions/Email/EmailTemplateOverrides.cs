using System.Collections.Concurrent;
using System.Text;
using Automation.Storage;
using Azure;
using Azure.Storage.Blobs.Models;
using Fluid;
using Microsoft.Extensions.Options;

namespace Automation.Email;

public sealed class EmailTemplateOptions
{
    public const string Section = "EmailTemplates";

    /// <summary>How long a loaded override (or its absence) is trusted before the blob is asked again (a conditional GET).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Larger override files are refused.</summary>
    public int MaxBytes { get; set; } = 256 * 1024;
}

/// <summary>A store's override of one template as last loaded: a template, or the reason it was refused, or none.</summary>
public sealed record EmailTemplateOverride(IFluidTemplate? Template, string? ETag, string? Problem, DateTimeOffset CheckedAt)
{
    public bool Exists => ETag is not null;
}

/// <summary>
/// Stores' own templates, from Blob storage: <c>email-templates/{storeId}/{template}.liquid</c> (and
/// <c>{storeId}/layout.liquid</c> for the layout). Each is parsed when it is loaded; one that does not parse is
/// refused there — logged with the template's name and line, and reported by the admin endpoints — and the built-in
/// template is used, so a send never fails on a template. Loaded on first use and asked again (with its ETag, so an
/// unchanged blob costs one small request) after <see cref="EmailTemplateOptions.RefreshInterval"/>.
/// </summary>
public sealed class EmailTemplateOverrides(StorageClients storage, IOptions<EmailTemplateOptions> options, TimeProvider time, ILogger<EmailTemplateOverrides> logger)
{
    public const string Container = "email-templates";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private readonly ConcurrentDictionary<(string Store, string Template), EmailTemplateOverride> _cache = new();

    public static string BlobName(string storeId, string template) => $"{storeId}/{template}.liquid";

    /// <param name="fresh">Ask storage now rather than trust the cached copy (the preview does, so an upload shows at once).</param>
    public async Task<EmailTemplateOverride> GetAsync(string storeId, string template, IReadOnlyCollection<string> sections, bool fresh, CancellationToken cancellationToken)
    {
        var key = (storeId, template);
        var now = time.GetUtcNow();
        _cache.TryGetValue(key, out var cached);
        if (!fresh && cached is not null && now - cached.CheckedAt < options.Value.RefreshInterval) return cached;

        EmailTemplateOverride loaded;
        try
        {
            loaded = await LoadAsync(storeId, template, sections, cached, now, cancellationToken);
        }
        catch (RequestFailedException ex) when (cached is not null && !fresh)
        {
            // Storage hiccup: keep what was loaded before rather than fail a send on it.
            logger.LogWarning("Store {StoreId}: could not check the email template override {Template} ({Status}); keeping the one loaded before", storeId, template, ex.Status);
            loaded = cached with { CheckedAt = now };
        }

        _cache[key] = loaded;
        return loaded;
    }

    private async Task<EmailTemplateOverride> LoadAsync(string storeId, string template, IReadOnlyCollection<string> sections, EmailTemplateOverride? cached, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var blob = storage.Blobs.GetBlobContainerClient(Container).GetBlobClient(BlobName(storeId, template));
        var conditions = cached?.ETag is { } etag ? new BlobRequestConditions { IfNoneMatch = new ETag(etag) } : null;
        Response<BlobDownloadResult> response;
        try
        {
            response = await blob.DownloadContentAsync(new BlobDownloadOptions { Conditions = conditions }, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return new EmailTemplateOverride(null, null, null, now);
        }
        catch (RequestFailedException ex) when (ex.Status == 304 && cached is not null)
        {
            return cached with { CheckedAt = now };
        }

        if (response.GetRawResponse().Status == 304 && cached is not null) return cached with { CheckedAt = now };

        var newEtag = response.Value.Details.ETag.ToString();
        var name = $"{storeId}/{template}";
        string? problem = null;
        IFluidTemplate? parsed = null;
        var bytes = response.Value.Content.ToMemory();
        if (bytes.Length > options.Value.MaxBytes)
        {
            problem = $"Template '{name}' is {bytes.Length} bytes; at most {options.Value.MaxBytes} are accepted.";
        }
        else
        {
            string? source = null;
            try { source = StrictUtf8.GetString(bytes.Span).TrimStart('\uFEFF'); }
            catch (DecoderFallbackException) { problem = $"Template '{name}' is not UTF-8 text."; }
            if (source is not null)
            {
                var result = EmailLiquid.Parse(name, source, sections);
                parsed = result.Template;
                problem = result.Error;
            }
        }

        if (problem is not null)
        {
            // Recorded once per version of the blob (a later check of the same ETag answers 304).
            logger.LogWarning("Store {StoreId}: email template override {Template} refused, the built-in template is used instead: {Problem}", storeId, template, problem);
        }
        else
        {
            logger.LogInformation("Store {StoreId}: email template override {Template} loaded", storeId, template);
        }

        return new EmailTemplateOverride(parsed, newEtag, problem, now);
    }
}
