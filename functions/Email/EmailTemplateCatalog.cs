using Automation.Stores;
using Fluid;

namespace Automation.Email;

public enum EmailAudience
{
    Customer,
    Staff,
    Supplier,
}

/// <summary>
/// One email the app sends: its name (also its override's file name), who gets it, and realistic sample data for the
/// preview. Its built-in template is <c>Templates/{name}.liquid</c> in the area's folder (embedded in the app).
/// </summary>
public sealed record EmailTemplateDefinition(string Name, string Description, EmailAudience Audience, Func<Store, EmailSample> Sample)
{
    /// <summary>Parts a store sets in settings (the abandoned-cart emails' <c>AbandonedCart:Templates:*</c>), each validated at start.</summary>
    public Func<IServiceProvider, string, EmailTemplateParts>? SettingsParts { get; init; }
}

/// <summary>Template sources for single parts, as settings give them; null parts come from the template file.</summary>
public sealed record EmailTemplateParts(string? Subject, string? Html, string? Text)
{
    public bool Any => Subject is not null || Html is not null || Text is not null;
}

/// <summary>What a template is rendered with: the model (its members are the template's names), whom it greets, the amounts' currency.</summary>
public sealed record EmailSample(object Model, string? RecipientName = null, string? Currency = null);

/// <summary>Every email template the app has, parsed once. The built-in templates are checked at start.</summary>
public sealed class EmailTemplateCatalog
{
    /// <summary>The shared layout every HTML and text body is put in.</summary>
    public const string Layout = "layout";

    public static readonly IReadOnlyCollection<string> TemplateSections = ["subject", "html", "text"];
    public static readonly IReadOnlyCollection<string> LayoutSections = ["html", "text"];

    private readonly Dictionary<string, EmailTemplateDefinition> _definitions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IFluidTemplate> _builtIn = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    public EmailTemplateCatalog(IEnumerable<EmailTemplateDefinition> definitions)
    {
        AddBuiltIn(Layout, LayoutSections);
        foreach (var definition in definitions)
        {
            if (!_definitions.TryAdd(definition.Name, definition)) _problems.Add($"Email template '{definition.Name}' is defined twice.");
            AddBuiltIn(definition.Name, TemplateSections);
        }
    }

    public IReadOnlyList<EmailTemplateDefinition> All => [.. _definitions.Values.OrderBy(d => d.Name, StringComparer.Ordinal)];

    /// <summary>Built-in templates that do not parse (a bug in a release; the app refuses to start).</summary>
    public IReadOnlyList<string> Problems => _problems;

    public EmailTemplateDefinition? Find(string name) => _definitions.GetValueOrDefault(name);

    internal IFluidTemplate BuiltIn(string name) => _builtIn[name];

    /// <summary>The source of a built-in template, to start an override from.</summary>
    public static string BuiltInSource(string name)
    {
        using var stream = typeof(EmailTemplateCatalog).Assembly.GetManifestResourceStream($"EmailTemplates.{name}.liquid")
            ?? throw new KeyNotFoundException($"No built-in email template '{name}' (Templates/{name}.liquid).");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static IEnumerable<string> BuiltInNames() =>
        typeof(EmailTemplateCatalog).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith("EmailTemplates.", StringComparison.Ordinal) && n.EndsWith(".liquid", StringComparison.Ordinal))
            .Select(n => n["EmailTemplates.".Length..^".liquid".Length]);

    private void AddBuiltIn(string name, IReadOnlyCollection<string> sections)
    {
        string source;
        try { source = BuiltInSource(name); }
        catch (KeyNotFoundException ex) { _problems.Add(ex.Message); return; }
        var parsed = EmailLiquid.Parse(name, source, sections);
        if (parsed.Template is null) _problems.Add(parsed.Error!);
        else _builtIn[name] = parsed.Template;
    }
}

public static class EmailTemplateRegistration
{
    /// <summary>Adds an area's email templates to the catalog (the preview lists them, overrides can replace them).</summary>
    public static IServiceCollection AddEmailTemplates(this IServiceCollection services, IEnumerable<EmailTemplateDefinition> definitions)
    {
        foreach (var definition in definitions) services.AddSingleton(definition);
        return services;
    }
}

/// <summary>Where a rendered email's template came from.</summary>
public enum EmailTemplateOrigin
{
    BuiltIn,
    Settings,
    Blob,
}
