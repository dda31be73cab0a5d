using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.RegularExpressions;
using System.Text.Unicode;
using Fluid;
using Fluid.Ast;
using Fluid.Filters;
using Fluid.Parser;
using Fluid.Values;

namespace Automation.Email;

/// <summary>
/// The Liquid engine the emails are rendered with: Fluid, with the sections an email file is made of
/// (<c>{% subject %}</c>, <c>{% preheader %}</c>, <c>{% html %}</c>, <c>{% text %}</c>), our <c>money</c> and <c>date</c>
/// filters, and HTML escaping that no filter can switch off by accident. Parsing checks everything that can be checked
/// before a send (syntax, unknown tags and filters, the sections), so a template that would fail is refused when it is
/// loaded, with its name and line.
/// </summary>
public static partial class EmailLiquid
{
    /// <summary>The sections of an email template file, in the order they are rendered.</summary>
    public static readonly IReadOnlyList<string> Sections = ["subject", "preheader", "html", "text"];

    /// <summary>HTML output: escapes &lt; &gt; &amp; " ' and leaves other characters (€, ×, é) as they are.</summary>
    internal static readonly TextEncoder Html = HtmlEncoder.Create(UnicodeRanges.All);

    private const string PartKey = "email-part";

    private static readonly FluidParser Parser = CreateParser();

    internal static readonly TemplateOptions Options = CreateOptions();

    /// <summary>Parses a template file made of sections. <paramref name="required"/> sections must be there.</summary>
    public static ParsedLiquid Parse(string name, string source, IReadOnlyCollection<string> required)
    {
        if (!TryParseCore(name, source, out var template, out var error)) return new ParsedLiquid(null, error);
        var check = new TemplateCheck();
        check.VisitTemplate(template);
        error = check.Problem(name, source, sections: true);
        if (error is null)
        {
            foreach (var section in required)
            {
                if (!check.SectionsFound.Contains(section)) { error = $"Template '{name}' has no {{% {section} %}} section."; break; }
            }
        }

        if (error is null && StrayText(template) is { } stray)
        {
            error = $"Template '{name}' line {LineOf(source, stray)}: text outside the sections ({string.Join(", ", Sections.Select(s => "{% " + s + " %}"))}): '{Shorten(stray)}'.";
        }

        return new ParsedLiquid(error is null ? template : null, error);
    }

    /// <summary>Parses one part on its own (a subject, an HTML body or a text body given as a setting): plain Liquid, no sections.</summary>
    public static ParsedLiquid ParsePart(string name, string source)
    {
        if (!TryParseCore(name, source, out var template, out var error)) return new ParsedLiquid(null, error);
        var check = new TemplateCheck();
        check.VisitTemplate(template);
        error = check.Problem(name, source, sections: false);
        return new ParsedLiquid(error is null ? template : null, error);
    }

    /// <summary>A context for one email: the model's members at the top level, culture and time zone of the store.</summary>
    internal static TemplateContext Context(object model, CultureInfo culture, TimeZoneInfo zone, string currency)
    {
        var context = new TemplateContext(model, Options) { CultureInfo = culture, TimeZone = zone };
        context.AmbientValues["currency"] = currency;
        return context;
    }

    /// <summary>Renders one section of a file template (or a whole part template) with the given encoder.</summary>
    internal static string Render(IFluidTemplate template, TemplateContext context, string section, TextEncoder encoder)
    {
        context.AmbientValues[PartKey] = section;
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        if (template is IStatementList list && list.Statements.Any(s => s is EmptyBlockStatement))
        {
            // A file of sections: the whitespace between them (all there may be outside them, see Parse) is not output.
            foreach (var statement in list.Statements)
            {
                if (statement is TextSpanStatement) continue;
                if (statement.WriteToAsync(writer, encoder, context).AsTask().GetAwaiter().GetResult() != Completion.Normal) break;
            }
        }
        else
        {
            template.RenderAsync(writer, encoder, context).AsTask().GetAwaiter().GetResult();
        }

        return writer.ToString();
    }

    private static bool TryParseCore(string name, string source, out IFluidTemplate template, out string? error)
    {
        if (Parser.TryParse(source, out template, out var message))
        {
            error = null;
            return true;
        }

        // Parlot reports "… at (line:column)" followed by the source line; keep the reason and the place.
        var at = Position().Match(message);
        var reason = (at.Success ? message[..at.Index] : message.Split('\n')[0]).Trim();
        error = at.Success
            ? $"Template '{name}' line {at.Groups[1].Value}, column {at.Groups[2].Value}: {reason}."
            : $"Template '{name}': {reason}.";
        return false;
    }

    /// <summary>Text or output at the top level, outside every section: it would end up in every part.</summary>
    private static string? StrayText(IFluidTemplate template)
    {
        if (template is not IStatementList list) return null;
        foreach (var statement in list.Statements)
        {
            switch (statement)
            {
                case TextSpanStatement text when !string.IsNullOrWhiteSpace(text.Text.ToString()):
                    return text.Text.ToString().Trim();
                case OutputStatement:
                    return "{{ … }}";
            }
        }

        return null;
    }

    private static FluidParser CreateParser()
    {
        var parser = new FluidParser(new FluidParserOptions { AllowFunctions = false });
        // No file system behind the templates: these tags could only fail when an email is sent.
        parser.RegisteredTags.Remove("include");
        parser.RegisteredTags.Remove("render");
        foreach (var section in Sections)
        {
            parser.RegisterEmptyBlock(section, (statements, writer, encoder, context) =>
                context.AmbientValues.TryGetValue(PartKey, out var part) && Equals(part, section)
                    ? statements.RenderStatementsAsync(writer, encoder, context)
                    : new ValueTask<Completion>(Completion.Normal));
        }

        return parser;
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions
        {
            // Our models are plain records: their public properties, named in snake_case (FirstName → first_name).
            MemberAccessStrategy = new UnsafeMemberAccessStrategy { MemberNameStrategy = MemberNameStrategies.SnakeCase },
            CultureInfo = CultureInfo.InvariantCulture,
            TimeZone = TimeZoneInfo.Utc,
            // A loop a template makes endless stops instead of holding the worker.
            MaxSteps = 1_000_000,
            MaxRecursion = 20,
        };

        // Fluid's string filters carry their input's "raw" mark over whatever they add to it, so
        // `{{ x | escape | append: name }}` would put `name` out unescaped. A result stays raw here only when the
        // input and every argument were raw; anything else is escaped on output like any value.
        foreach (var (name, filter) in options.Filters.ToList())
        {
            if (name != "raw") options.Filters.AddFilter(name, KeepRawOnlyIfAllRaw(filter));
        }

        // Output is escaped already: escape is kept for templates written for other Liquid engines and does nothing.
        options.Filters.AddFilter("escape", static (input, _, _) => new ValueTask<FluidValue>(Plain(input)));
        options.Filters.AddFilter("escape_once", static (input, _, _) => new ValueTask<FluidValue>(Plain(input)));
        options.Filters.AddFilter("money", MoneyFilter(MoneyStyle.Symbol));
        options.Filters.AddFilter("money_with_currency", MoneyFilter(MoneyStyle.WithCode));
        options.Filters.AddFilter("money_without_currency", MoneyFilter(MoneyStyle.Number));
        options.Filters.AddFilter("date", Date);
        return options;
    }

    private static FilterDelegate KeepRawOnlyIfAllRaw(FilterDelegate filter) => async (input, arguments, context) =>
    {
        var result = await filter(input, arguments, context);
        if (result is StringValue { Encode: false } raw && (!IsRaw(input) || arguments.Values.Any(a => !IsRaw(a) && !a.IsNil())))
        {
            return new StringValue(raw.ToStringValue());
        }

        return result;
    };

    private static bool IsRaw(FluidValue value) => value is StringValue { Encode: false };

    private static FluidValue Plain(FluidValue input) => input is StringValue { Encode: false } s ? new StringValue(s.ToStringValue()) : input;

    private enum MoneyStyle { Symbol, WithCode, Number }

    /// <summary><c>{{ amount | money }}</c> in the email's currency, <c>{{ amount | money: "EUR" }}</c> in another; formatted for the store's locale.</summary>
    private static FilterDelegate MoneyFilter(MoneyStyle style) => (input, arguments, context) =>
    {
        if (input.IsNil() || (input is StringValue s && string.IsNullOrWhiteSpace(s.ToStringValue()))) return new ValueTask<FluidValue>(StringValue.Empty);
        var currency = arguments.At(0) is { } argument && !argument.IsNil() ? argument.ToStringValue()
            : context.AmbientValues.TryGetValue("currency", out var ambient) ? ambient as string ?? "" : "";
        var amount = input.ToNumberValue();
        var text = style switch
        {
            MoneyStyle.Number => MoneyFormat.Number(amount, currency, context.CultureInfo),
            MoneyStyle.WithCode => MoneyFormat.WithCode(amount, currency, context.CultureInfo),
            _ => MoneyFormat.Format(amount, currency, context.CultureInfo),
        };
        return new ValueTask<FluidValue>(new StringValue(text));
    };

    /// <summary>
    /// <c>date</c> in the store's time zone and locale. The format is Liquid's strftime when it has a <c>%</c>
    /// (<c>"%Y-%m-%d"</c>), a .NET format otherwise (<c>"d MMMM yyyy"</c>, as our earlier templates used), or one of
    /// <c>"long"</c> (the locale's long date without the weekday, the default) and <c>"short"</c>.
    /// </summary>
    private static ValueTask<FluidValue> Date(FluidValue input, FilterArguments arguments, TemplateContext context)
    {
        if (input.IsNil() || !input.TryGetDateTimeInput(context, out var value)) return new ValueTask<FluidValue>(NilValue.Instance);
        value = TimeZoneInfo.ConvertTime(value, context.TimeZone);
        var format = arguments.At(0).IsNil() ? "long" : arguments.At(0).ToStringValue();
        if (format.Contains('%', StringComparison.Ordinal)) return MiscFilters.Date(new DateTimeValue(value), arguments, context);

        var dates = context.CultureInfo.DateTimeFormat;
        format = format switch
        {
            "long" => LongDateWithoutWeekday(dates.LongDatePattern),
            "short" => dates.ShortDatePattern,
            _ => format,
        };
        try
        {
            return new ValueTask<FluidValue>(new StringValue(value.ToString(format, context.CultureInfo)));
        }
        catch (FormatException)
        {
            return new ValueTask<FluidValue>(new StringValue(value.ToString(LongDateWithoutWeekday(dates.LongDatePattern), context.CultureInfo)));
        }
    }

    private static string LongDateWithoutWeekday(string pattern) => Weekday().Replace(pattern, "").Trim(' ', ',');

    internal static int LineOf(string source, string fragment)
    {
        var index = source.IndexOf(fragment, StringComparison.Ordinal);
        return index < 0 ? 1 : source.AsSpan(0, index).Count('\n') + 1;
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";

    /// <summary>What parsing cannot see: unknown filters, sections where they do not belong.</summary>
    private sealed class TemplateCheck : AstVisitor
    {
        private readonly List<string> _unknownFilters = [];
        private readonly List<string> _nestedSections = [];
        private int _depth;

        public HashSet<string> SectionsFound { get; } = new(StringComparer.Ordinal);

        public string? Problem(string name, string source, bool sections)
        {
            if (_unknownFilters.FirstOrDefault() is { } filter)
            {
                var at = FilterUse(filter).Match(source);
                var line = at.Success ? source.AsSpan(0, at.Index).Count('\n') + 1 : 1;
                return $"Template '{name}' line {line}: unknown filter '{filter}'.";
            }

            if (!sections && SectionsFound.FirstOrDefault() is { } found)
                return $"Template '{name}' line {LineOf(source, "{% " + found)}: {{% {found} %}} sections belong in template files, not in a single part.";
            if (_nestedSections.FirstOrDefault() is { } nested)
                return $"Template '{name}' line {LineOf(source, "{% " + nested)}: {{% {nested} %}} must not be inside another tag or section.";
            return null;
        }

        protected override Expression VisitFilterExpression(FilterExpression filterExpression)
        {
            if (!Options.Filters.TryGetValue(filterExpression.Name, out _)) _unknownFilters.Add(filterExpression.Name);
            return base.VisitFilterExpression(filterExpression);
        }

        public override Statement Visit(Statement statement)
        {
            if (statement is EmptyBlockStatement block && Sections.Contains(block.TagName))
            {
                SectionsFound.Add(block.TagName);
                if (_depth > 0) _nestedSections.Add(block.TagName);
            }

            _depth++;
            try { return base.Visit(statement); }
            finally { _depth--; }
        }

        private static Regex FilterUse(string filter) => new(@"\|\s*" + Regex.Escape(filter) + @"\b", RegexOptions.CultureInvariant);
    }

    [GeneratedRegex(@"at \((\d+):(\d+)\)")]
    private static partial Regex Position();

    [GeneratedRegex("d{4}[,.]?")]
    private static partial Regex Weekday();
}

/// <summary>A parsed template, or why it was refused (with its name and line).</summary>
public sealed record ParsedLiquid(IFluidTemplate? Template, string? Error);
