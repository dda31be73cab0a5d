using System.Collections;
using System.Globalization;
using System.Net;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;

namespace Automation.Email;

/// <summary>
/// A small Liquid subset for email templates: <c>{{ a.b | filter: arg }}</c>, <c>{% if %}/{% elsif %}/{% else %}/{% endif %}</c>,
/// <c>{% for x in xs %}…{% endfor %}</c> (with <c>forloop.index</c>, <c>first</c>, <c>last</c>). Written here because Fluid
/// cannot run on our package mirror (it needs Parlot 1.x, which is not served). In HTML mode every output is
/// escaped unless piped through <c>raw</c>. Unknown names render empty, as in Liquid.
/// </summary>
public sealed partial class LiquidTemplate
{
    private readonly List<Node> _nodes;

    private LiquidTemplate(List<Node> nodes) => _nodes = nodes;

    public static LiquidTemplate Parse(string source)
    {
        var tokens = Tokenize(source);
        var position = 0;
        var nodes = ParseBlock(tokens, ref position, []);
        if (position < tokens.Count) throw new FormatException($"Unexpected '{{% {tokens[position].Text} %}}'.");
        return new LiquidTemplate(nodes);
    }

    public string Render(object? model, bool html = false)
    {
        var output = new StringBuilder();
        var scope = new Scope(model);
        foreach (var node in _nodes) node.Render(output, scope, html);
        return output.ToString();
    }

    private enum TokenKind { Text, Output, Tag }

    private sealed record Token(TokenKind Kind, string Text);

    private static List<Token> Tokenize(string source)
    {
        var tokens = new List<Token>();
        var last = 0;
        foreach (Match match in Markup().Matches(source))
        {
            if (match.Index > last) tokens.Add(new Token(TokenKind.Text, source[last..match.Index]));
            tokens.Add(match.Groups["out"].Success
                ? new Token(TokenKind.Output, match.Groups["out"].Value.Trim())
                : new Token(TokenKind.Tag, match.Groups["tag"].Value.Trim()));
            last = match.Index + match.Length;
        }

        if (last < source.Length) tokens.Add(new Token(TokenKind.Text, source[last..]));
        return tokens;
    }

    private static List<Node> ParseBlock(List<Token> tokens, ref int position, string[] terminators)
    {
        var nodes = new List<Node>();
        while (position < tokens.Count)
        {
            var token = tokens[position];
            if (token.Kind == TokenKind.Text) { nodes.Add(new TextNode(token.Text)); position++; continue; }
            if (token.Kind == TokenKind.Output) { nodes.Add(new OutputNode(Expression.Parse(token.Text))); position++; continue; }

            var word = token.Text.Split(' ', 2)[0];
            if (terminators.Contains(word)) return nodes;
            position++;
            switch (word)
            {
                case "if":
                    var branches = new List<(Condition?, List<Node>)>();
                    var condition = new Condition(token.Text[2..].Trim());
                    while (true)
                    {
                        var body = ParseBlock(tokens, ref position, ["elsif", "else", "endif"]);
                        branches.Add((condition, body));
                        if (position >= tokens.Count) throw new FormatException("'{% if %}' is not closed by '{% endif %}'.");
                        var next = tokens[position++].Text;
                        if (next.StartsWith("elsif", StringComparison.Ordinal)) { condition = new Condition(next[5..].Trim()); continue; }
                        if (next == "else") { branches.Add((null, ParseBlock(tokens, ref position, ["endif"]))); position++; }
                        break;
                    }

                    nodes.Add(new IfNode(branches));
                    break;
                case "for":
                    var parts = ForTag().Match(token.Text);
                    if (!parts.Success) throw new FormatException($"'{{% {token.Text} %}}' is not 'for x in list'.");
                    var loopBody = ParseBlock(tokens, ref position, ["endfor"]);
                    if (position >= tokens.Count) throw new FormatException("'{% for %}' is not closed by '{% endfor %}'.");
                    position++;
                    nodes.Add(new ForNode(parts.Groups[1].Value, Expression.Parse(parts.Groups[2].Value), loopBody));
                    break;
                default:
                    throw new FormatException($"Unsupported tag '{{% {token.Text} %}}'.");
            }
        }

        return nodes;
    }

    private sealed class Scope(object? model)
    {
        private readonly Dictionary<string, object?> _locals = new(StringComparer.OrdinalIgnoreCase);

        public object? Resolve(string path)
        {
            var segments = path.Split('.');
            object? current = _locals.TryGetValue(segments[0], out var local) ? local : Member(model, segments[0]);
            foreach (var segment in segments.Skip(1)) current = Member(current, segment);
            return current;
        }

        public void Set(string name, object? value) => _locals[name] = value;

        private static object? Member(object? target, string name)
        {
            if (target is null) return null;
            if (target is IDictionary<string, object?> dictionary)
                return dictionary.FirstOrDefault(kv => Same(kv.Key, name)).Value;
            if (name == "size" && target is ICollection collection) return collection.Count;
            var property = target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).FirstOrDefault(p => p.GetIndexParameters().Length == 0 && Same(p.Name, name));
            return property?.GetValue(target);
        }

        private static bool Same(string a, string b) =>
            string.Equals(a.Replace("_", "", StringComparison.Ordinal), b.Replace("_", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
    }

    private abstract class Node
    {
        public abstract void Render(StringBuilder output, Scope scope, bool html);
    }

    private sealed class TextNode(string text) : Node
    {
        public override void Render(StringBuilder output, Scope scope, bool html) => output.Append(text);
    }

    private sealed class OutputNode(Expression expression) : Node
    {
        public override void Render(StringBuilder output, Scope scope, bool html)
        {
            var value = expression.Evaluate(scope, out var raw);
            var text = Format(value);
            output.Append(html && !raw ? WebUtility.HtmlEncode(text) : text);
        }
    }

    private sealed class IfNode(List<(Condition? Condition, List<Node> Body)> branches) : Node
    {
        public override void Render(StringBuilder output, Scope scope, bool html)
        {
            foreach (var (condition, body) in branches)
            {
                if (condition is null || condition.IsTrue(scope))
                {
                    foreach (var node in body) node.Render(output, scope, html);
                    return;
                }
            }
        }
    }

    private sealed class ForNode(string variable, Expression source, List<Node> body) : Node
    {
        public override void Render(StringBuilder output, Scope scope, bool html)
        {
            if (source.Evaluate(scope, out _) is not IEnumerable items || items is string) return;
            var list = items.Cast<object?>().ToList();
            for (var i = 0; i < list.Count; i++)
            {
                scope.Set(variable, list[i]);
                scope.Set("forloop", new Dictionary<string, object?> { ["index"] = i + 1, ["first"] = i == 0, ["last"] = i == list.Count - 1, ["length"] = list.Count });
                foreach (var node in body) node.Render(output, scope, html);
            }
        }
    }

    private sealed class Condition(string text)
    {
        public bool IsTrue(Scope scope)
        {
            // Liquid evaluates and/or right to left without precedence; conditions here are short.
            var orParts = text.Split(" or ");
            return orParts.Any(part => part.Split(" and ").All(term => Term(term.Trim(), scope)));
        }

        private static bool Term(string term, Scope scope)
        {
            var match = Comparison().Match(term);
            if (!match.Success) return Truthy(Expression.Parse(term).Evaluate(scope, out _));
            var left = Expression.Parse(match.Groups[1].Value).Evaluate(scope, out _);
            var right = Expression.Parse(match.Groups[3].Value).Evaluate(scope, out _);
            var op = match.Groups[2].Value;
            if (op is "==" or "!=")
            {
                var equal = Equals(Normalize(left), Normalize(right));
                return op == "==" ? equal : !equal;
            }

            if (ToDecimal(left) is not { } l || ToDecimal(right) is not { } r) return false;
            return op switch { ">" => l > r, "<" => l < r, ">=" => l >= r, _ => l <= r };
        }

        private static object? Normalize(object? value) => ToDecimal(value) is { } d && value is not string ? d : value?.ToString();

        private static bool Truthy(object? value) => value switch
        {
            null => false,
            bool b => b,
            string s => s.Length > 0,
            ICollection c => c.Count > 0,
            _ => true,
        };
    }

    private sealed class Expression
    {
        private readonly string _head;
        private readonly List<(string Name, List<string> Args)> _filters = [];

        private Expression(string head) => _head = head;

        public static Expression Parse(string text)
        {
            var parts = SplitOutsideQuotes(text, '|');
            var expression = new Expression(parts[0].Trim());
            foreach (var filter in parts.Skip(1))
            {
                var nameAndArgs = filter.Split(':', 2);
                var args = nameAndArgs.Length > 1 ? SplitOutsideQuotes(nameAndArgs[1], ',').Select(a => a.Trim()).ToList() : [];
                expression._filters.Add((nameAndArgs[0].Trim(), args));
            }

            return expression;
        }

        public object? Evaluate(Scope scope, out bool raw)
        {
            raw = false;
            var value = Literal(_head, scope);
            foreach (var (name, args) in _filters)
            {
                var values = args.Select(a => Literal(a, scope)).ToList();
                object? Arg(int i) => i < values.Count ? values[i] : null;
                switch (name)
                {
                    case "raw": raw = true; break;
                    case "escape": value = WebUtility.HtmlEncode(Format(value)); raw = true; break;
                    case "upcase": value = Format(value).ToUpperInvariant(); break;
                    case "downcase": value = Format(value).ToLowerInvariant(); break;
                    case "default": if (value is null || value is string { Length: 0 } || value is false) value = Arg(0); break;
                    case "append": value = Format(value) + Format(Arg(0)); break;
                    case "prepend": value = Format(Arg(0)) + Format(value); break;
                    case "size": value = value is string s ? s.Length : value is ICollection c ? c.Count : 0; break;
                    case "url_encode": value = Uri.EscapeDataString(Format(value)); break;
                    case "times": value = (ToDecimal(value) ?? 0) * (ToDecimal(Arg(0)) ?? 1); break;
                    case "plus": value = (ToDecimal(value) ?? 0) + (ToDecimal(Arg(0)) ?? 0); break;
                    case "round": value = Math.Round(ToDecimal(value) ?? 0, (int)(ToDecimal(Arg(0)) ?? 0), MidpointRounding.AwayFromZero); break;
                    case "money":
                        // money: "EUR" → "12.50 EUR"
                        value = (ToDecimal(value) ?? 0).ToString("0.00", CultureInfo.InvariantCulture) + (Arg(0) is { } currency ? " " + Format(currency) : "");
                        break;
                    case "date":
                        var format = Format(Arg(0) ?? "yyyy-MM-dd HH:mm");
                        value = value switch
                        {
                            DateTimeOffset d => d.ToString(format, CultureInfo.InvariantCulture),
                            DateTime d => d.ToString(format, CultureInfo.InvariantCulture),
                            _ => value,
                        };
                        break;
                    default: throw new FormatException($"Unknown filter '{name}'.");
                }
            }

            return value;
        }

        private static object? Literal(string text, Scope scope)
        {
            if (text.Length >= 2 && (text[0] == '"' || text[0] == '\'') && text[^1] == text[0]) return text[1..^1];
            if (decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var number)) return number;
            return text switch
            {
                "true" => true,
                "false" => false,
                "nil" or "null" or "" => null,
                _ => scope.Resolve(text),
            };
        }

        private static List<string> SplitOutsideQuotes(string text, char separator)
        {
            var parts = new List<string>();
            var current = new StringBuilder();
            char? quote = null;
            foreach (var c in text)
            {
                if (quote is null && (c == '"' || c == '\'')) quote = c;
                else if (quote == c) quote = null;
                if (c == separator && quote is null) { parts.Add(current.ToString()); current.Clear(); }
                else current.Append(c);
            }

            parts.Add(current.ToString());
            return parts;
        }
    }

    private static decimal? ToDecimal(object? value) => value switch
    {
        decimal d => d,
        int i => i,
        long l => l,
        double d => (decimal)d,
        float f => (decimal)f,
        string s when decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
        _ => null,
    };

    private static string Format(object? value) => value switch
    {
        null => "",
        bool b => b ? "true" : "false",
        decimal d => d.ToString(CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    [GeneratedRegex(@"\{\{(?<out>.*?)\}\}|\{%(?<tag>.*?)%\}", RegexOptions.Singleline)]
    private static partial Regex Markup();

    [GeneratedRegex(@"^for\s+(\w+)\s+in\s+(.+)$")]
    private static partial Regex ForTag();

    [GeneratedRegex(@"^(.+?)\s*(==|!=|>=|<=|>|<)\s*(.+)$")]
    private static partial Regex Comparison();
}
