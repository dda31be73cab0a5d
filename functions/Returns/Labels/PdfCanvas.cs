using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Automation.Returns.Labels;

/// <summary>
/// A one-page PDF writer with just what a label needs: filled rectangles, lines and text in the standard
/// Helvetica faces (every PDF reader has them, so nothing is embedded and a label is a few kilobytes).
/// Coordinates are points from the top-left, like a screen; the PDF's bottom-left origin is handled here.
/// </summary>
/// <remarks>
/// Written instead of using PDFsharp: PDFsharp 6.5, the only version on our package mirror, is AGPL-3.0-only and
/// refuses to save until the application chooses the AGPL or loads a commercial licence, a decision for the owner.
/// </remarks>
internal sealed class PdfCanvas(double width, double height)
{
    private readonly StringBuilder _content = new();

    public double Width { get; } = width;
    public double Height { get; } = height;

    public void FillRectangle(double x, double y, double w, double h, bool white = false) =>
        _content.Append(white ? "1 g " : "0 g ").Append(N(x)).Append(' ').Append(N(Height - y - h)).Append(' ').Append(N(w)).Append(' ').Append(N(h)).Append(" re f\n");

    public void Line(double x1, double y1, double x2, double y2, double thickness = 1) =>
        _content.Append("0 G ").Append(N(thickness)).Append(" w ").Append(N(x1)).Append(' ').Append(N(Height - y1)).Append(" m ")
            .Append(N(x2)).Append(' ').Append(N(Height - y2)).Append(" l S\n");

    /// <summary>Text whose baseline is at <paramref name="y"/>.</summary>
    public void Text(string text, double x, double y, double size, bool bold = false, bool white = false) =>
        _content.Append("BT ").Append(white ? "1 g " : "0 g ").Append(bold ? "/F2 " : "/F1 ").Append(N(size)).Append(" Tf ")
            .Append(N(x)).Append(' ').Append(N(Height - y)).Append(" Td (").Append(Escape(text)).Append(") Tj ET\n");

    public void TextRight(string text, double right, double y, double size, bool bold = false, bool white = false) =>
        Text(text, right - Measure(text, size, bold), y, size, bold, white);

    public void TextCentred(string text, double centre, double y, double size, bool bold = false) =>
        Text(text, centre - (Measure(text, size, bold) / 2), y, size, bold);

    /// <summary>Cuts text with an ellipsis to fit a width.</summary>
    public static string Fit(string text, double size, bool bold, double width)
    {
        if (Measure(text, size, bold) <= width) return text;
        while (text.Length > 1 && Measure(text + "…", size, bold) > width) text = text[..^1];
        return text + "…";
    }

    public static double Measure(string text, double size, bool bold)
    {
        double units = 0;
        foreach (var c in text) units += c is >= ' ' and <= '~' ? HelveticaWidths[c - ' '] : 556;
        return units * size / 1000 * (bold ? 1.07 : 1);
    }

    public byte[] ToPdf(string title, DateTimeOffset created)
    {
        byte[] compressed;
        using (var buffer = new MemoryStream())
        {
            using (var zlib = new ZLibStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
            {
                zlib.Write(Encoding.Latin1.GetBytes(_content.ToString()));
            }

            compressed = buffer.ToArray();
        }

        var output = new MemoryStream();
        var offsets = new List<long>();
        void Write(string s) => output.Write(Encoding.Latin1.GetBytes(s));
        void Object(string body)
        {
            offsets.Add(output.Position);
            Write($"{offsets.Count} 0 obj\n{body}\nendobj\n");
        }

        Write("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
        Object("<< /Type /Catalog /Pages 2 0 R >>");
        Object("<< /Type /Pages /Kids [3 0 R] /Count 1 >>");
        Object($"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {N(Width)} {N(Height)}] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>");
        Object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>");
        Object("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>");
        offsets.Add(output.Position);
        Write($"6 0 obj\n<< /Length {compressed.Length} /Filter /FlateDecode >>\nstream\n");
        output.Write(compressed);
        Write("\nendstream\nendobj\n");
        Object($"<< /Title ({Escape(title)}) /Creator (Automation returns) /CreationDate (D:{created.UtcDateTime.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture)}Z) >>");

        var xref = output.Position;
        var table = new StringBuilder($"xref\n0 {offsets.Count + 1}\n0000000000 65535 f \n");
        foreach (var offset in offsets) table.Append(offset.ToString("D10", CultureInfo.InvariantCulture)).Append(" 00000 n \n");
        table.Append($"trailer\n<< /Size {offsets.Count + 1} /Root 1 0 R /Info {offsets.Count} 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        Write(table.ToString());
        return output.ToArray();
    }

    private static string N(double value) => Math.Round(value, 2).ToString("0.##", CultureInfo.InvariantCulture);

    /// <summary>WinAnsi text in a PDF string: Latin-1 passes through, a few typographic characters map to their WinAnsi codes.</summary>
    private static string Escape(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            var mapped = c switch
            {
                '…' => '\u0085',
                '–' => '\u0096',
                '—' => '\u0097',
                '‘' => '\u0091',
                '’' => '\u0092',
                '“' => '\u0093',
                '”' => '\u0094',
                '•' => '\u0095',
                '€' => '\u0080',
                < ' ' => ' ',
                > '\u00ff' => '?',
                _ => c,
            };
            if (mapped is '(' or ')' or '\\') builder.Append('\\');
            builder.Append(mapped);
        }

        return builder.ToString();
    }

    /// <summary>Helvetica advance widths (1/1000 em) for ASCII 32-126, from the standard font metrics.</summary>
    private static readonly short[] HelveticaWidths =
    [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    ];
}
