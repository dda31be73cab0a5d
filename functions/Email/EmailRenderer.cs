using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Automation.Stores;
using Fluid;
using Fluid.Values;

namespace Automation.Email;

/// <summary>An email's parts as rendered, and which template made them.</summary>
public sealed record RenderedEmail(string Subject, string Preheader, string Html, string Text)
{
    public EmailTemplateOrigin Origin { get; init; }

    /// <summary>Why the store's override was not used (it was refused on load, or failed to render).</summary>
    public string? Problem { get; init; }
}

/// <summary>
/// Renders a store's email: its template (the store's blob override, else its settings, else the built-in one),
/// then the HTML body inside the shared layout with the store's branding. HTML output is escaped; the subject,
/// preheader and text are as typed. What every template sees besides its model: <c>store</c> (the branding),
/// <c>greeting</c> ("Hi Ann," or "Hi there,") and <c>email</c> (template, audience).
/// </summary>
public sealed partial class EmailRenderer(
    StoreRegistry stores,
    EmailTemplateCatalog catalog,
    EmailTemplateOverrides overrides,
    StoreSettings<BrandingOptions> branding,
    IConfiguration configuration,
    IServiceProvider services,
    ILogger<EmailRenderer> logger)
{
    private readonly ConcurrentDictionary<string, IFluidTemplate> _parts = new(StringComparer.Ordinal);

    public Task<RenderedEmail> RenderAsync(string storeId, string template, EmailSample sample, CancellationToken cancellationToken) =>
        RenderAsync(storeId, template, sample, fresh: false, cancellationToken);

    internal async Task<RenderedEmail> RenderAsync(string storeId, string template, EmailSample sample, bool fresh, CancellationToken cancellationToken)
    {
        var store = stores.Get(storeId);
        var definition = catalog.Find(template) ?? throw new ArgumentException($"No email template '{template}'.", nameof(template));
        var brand = Brand(store);

        var content = await overrides.GetAsync(store.Id, template, EmailTemplateCatalog.TemplateSections, fresh, cancellationToken);
        var layout = await overrides.GetAsync(store.Id, EmailTemplateCatalog.Layout, EmailTemplateCatalog.LayoutSections, fresh, cancellationToken);
        var parts = content.Template is null && definition.SettingsParts is { } fromSettings ? fromSettings(services, store.Id) : null;
        var origin = content.Template is not null ? EmailTemplateOrigin.Blob : parts is { Any: true } ? EmailTemplateOrigin.Settings : EmailTemplateOrigin.BuiltIn;
        var problem = content.Problem ?? layout.Problem;

        var builtIn = catalog.BuiltIn(template);
        var builtInLayout = catalog.BuiltIn(EmailTemplateCatalog.Layout);
        try
        {
            return Render(store, brand, definition, sample, content.Template ?? builtIn, parts, layout.Template ?? builtInLayout) with { Origin = origin, Problem = problem };
        }
        catch (Exception ex) when (origin != EmailTemplateOrigin.BuiltIn || layout.Template is not null)
        {
            // A store's template that parsed but cannot render (e.g. a loop past the step limit): the built-in one is sent.
            var reason = $"Template '{store.Id}/{template}' failed to render: {ex.Message}";
            logger.LogWarning("Store {StoreId}: email template {Template} failed to render ({Error}); the built-in template is used", store.Id, template, ex.GetType().Name);
            return Render(store, brand, definition, sample, builtIn, null, builtInLayout) with { Origin = EmailTemplateOrigin.BuiltIn, Problem = reason };
        }
    }

    /// <summary>Whether the store sets any part of this template in its settings.</summary>
    internal bool UsesSettings(string storeId, EmailTemplateDefinition definition) => definition.SettingsParts?.Invoke(services, storeId) is { Any: true };

    public StoreBrand Brand(Store store) => StoreBrand.For(store, branding.For(store.Id), configuration);

    public StoreBrand Brand(string storeId) => Brand(stores.Get(storeId));

    private RenderedEmail Render(Store store, StoreBrand brand, EmailTemplateDefinition definition, EmailSample sample, IFluidTemplate template, EmailTemplateParts? parts, IFluidTemplate layout)
    {
        var context = EmailLiquid.Context(sample.Model, brand.Culture, store.TimeZone, sample.Currency ?? store.Currency);
        context.SetValue("store", brand);
        context.SetValue("greeting", Greeting(sample.RecipientName));
        context.SetValue("email", new EmailInfo(definition.Name, definition.Audience.ToString().ToLowerInvariant()));

        var subject = OneLine(EmailLiquid.Render(Part(parts?.Subject, "subject") ?? template, context, "subject", Fluid.NullEncoder.Default));
        var preheader = OneLine(EmailLiquid.Render(template, context, "preheader", Fluid.NullEncoder.Default));
        var body = EmailLiquid.Render(Part(parts?.Html, "html") ?? template, context, "html", EmailLiquid.Html);
        var text = EmailLiquid.Render(Part(parts?.Text, "text") ?? template, context, "text", Fluid.NullEncoder.Default);

        context.SetValue("subject", subject);
        context.SetValue("preheader", preheader);
        string html;
        if (IsWholeDocument(body))
        {
            // A template that is a whole HTML document (as the earlier AbandonedCart:Templates:*Html were) is sent as it is.
            html = body;
        }
        else
        {
            context.SetValue("content", new StringValue(body, encode: false));
            html = EmailLiquid.Render(layout, context, "html", EmailLiquid.Html);
        }

        context.SetValue("content", new StringValue(Tidy(text)));
        text = Tidy(EmailLiquid.Render(layout, context, "text", Fluid.NullEncoder.Default));
        return new RenderedEmail(subject, preheader, html, text);
    }

    private IFluidTemplate? Part(string? source, string part)
    {
        if (source is null) return null;
        // Settings are validated at start, so this parses; cached by source, so a template is parsed once.
        return _parts.GetOrAdd(source, s => EmailLiquid.ParsePart(part, s).Template ?? throw new InvalidOperationException(EmailLiquid.ParsePart(part, s).Error));
    }

    /// <summary>One greeting for every email: "Hi Ann," or, without a name, "Hi there,".</summary>
    public static string Greeting(string? name) => string.IsNullOrWhiteSpace(name) ? "Hi there," : $"Hi {name.Trim()},";

    private static bool IsWholeDocument(string html)
    {
        var start = html.AsSpan().TrimStart();
        return start.StartsWith("<!doctype", StringComparison.OrdinalIgnoreCase) || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase);
    }

    private static string OneLine(string text) => Whitespace().Replace(text, " ").Trim();

    /// <summary>Plain text as a person would type it: no trailing spaces, at most one blank line in a row.</summary>
    internal static string Tidy(string text)
    {
        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd());
        return BlankLines().Replace(string.Join('\n', lines), "\n\n").Trim() + "\n";
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();

    private sealed record EmailInfo(string Template, string Audience);
}
