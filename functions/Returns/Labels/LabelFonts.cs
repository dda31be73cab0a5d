using PdfSharp.Fonts;

namespace Automation.Returns.Labels;

/// <summary>
/// The label's one typeface, DejaVu Sans Condensed (regular and bold), shipped with the app under
/// <c>Returns/Labels/Fonts/</c> (Bitstream Vera licence, see the LICENSE beside the files). It covers Latin with its
/// extensions, Greek and Cyrillic, so a return address in Polish, Czech, Greek or Russian prints as written; its
/// widths are close to Helvetica's, which the label's layout was drawn for.
/// </summary>
/// <remarks>
/// PDFsharp's Core build finds no fonts on Linux by itself: it asks the one process-wide <see cref="IFontResolver"/>,
/// which must be set before the first font is used and never replaced by another instance.
/// </remarks>
internal sealed class LabelFonts : IFontResolver
{
    /// <summary>The family name the label asks PDFsharp for.</summary>
    public const string Family = "DejaVu Sans Condensed";

    private const string Regular = "DejaVuSansCondensed";
    private const string Bold = "DejaVuSansCondensed-Bold";

    private static readonly LabelFonts Instance = new();
    private static readonly Lock Gate = new();
    private static volatile bool _registered;

    /// <summary>Where the build and the publish put the font files, next to the app's assemblies.</summary>
    public static string Folder { get; } = Path.Combine(AppContext.BaseDirectory, "Returns", "Labels", "Fonts");

    /// <summary>Makes this PDFsharp's font resolver; safe to call any number of times, from any thread.</summary>
    public static void Register()
    {
        if (_registered) return;
        lock (Gate)
        {
            if (_registered) return;
            if (GlobalFontSettings.FontResolver is not null)
            {
                throw new InvalidOperationException($"PDFsharp already has another font resolver ({GlobalFontSettings.FontResolver.GetType().Name}); the return label needs {nameof(LabelFonts)}.");
            }

            // Checked here: PDFsharp reports a font resolver's failure as a NullReferenceException of its own.
            foreach (var face in new[] { Regular, Bold })
            {
                var path = PathOf(face);
                if (!File.Exists(path)) throw new FileNotFoundException($"The return label's font is missing from the app's output: {path}. It ships from functions/Returns/Labels/Fonts/.", path);
            }

            GlobalFontSettings.FontResolver = Instance;
            _registered = true;
        }
    }

    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool isItalic) =>
        string.Equals(familyName, Family, StringComparison.OrdinalIgnoreCase)
            // No italic is shipped: the label uses none, and PDFsharp would slant the regular face if asked.
            ? new FontResolverInfo(bold ? Bold : Regular, false, isItalic)
            : null;

    /// <summary>Called once per face; PDFsharp keeps the bytes.</summary>
    public byte[]? GetFont(string faceName) => File.ReadAllBytes(PathOf(faceName));

    private static string PathOf(string faceName) => Path.Combine(Folder, faceName + ".ttf");
}
