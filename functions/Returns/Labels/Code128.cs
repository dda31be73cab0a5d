namespace Automation.Returns.Labels;

/// <summary>
/// Code 128 (ISO/IEC 15417), drawn by us because PDFsharp's barcodes stop at Code 39 and Code 128 is what
/// carriers print: denser, with a checksum. Code set B for text; runs of four or more digits switch to code set C
/// (two digits per symbol) so tracking numbers stay short.
/// </summary>
public static class Code128
{
    private const int StartB = 104;
    private const int StartC = 105;
    private const int CodeB = 100;
    private const int CodeC = 99;
    private const int Stop = 106;

    /// <summary>Bar/space widths in modules for symbols 0-106 (the stop symbol has seven elements).</summary>
    private static readonly string[] Patterns =
    [
        "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
        "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
        "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
        "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
        "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
        "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
        "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
        "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
        "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
        "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
        "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
    ];

    /// <summary>The symbol values, start and checksum included, stop excluded.</summary>
    public static IReadOnlyList<int> Symbols(string text)
    {
        if (string.IsNullOrEmpty(text)) throw new ArgumentException("Nothing to encode.", nameof(text));
        foreach (var c in text)
        {
            if (c < 32 || c > 126) throw new ArgumentException($"Code 128 B cannot encode '{c}' (only printable ASCII).", nameof(text));
        }

        var symbols = new List<int>();
        var i = 0;
        var leading = DigitRun(text, 0);
        var inC = leading % 2 == 0 && (leading >= 4 || (leading == 2 && text.Length == 2));
        symbols.Add(inC ? StartC : StartB);
        while (i < text.Length)
        {
            var run = DigitRun(text, i);
            if (inC)
            {
                if (run >= 2)
                {
                    symbols.Add(((text[i] - '0') * 10) + (text[i + 1] - '0'));
                    i += 2;
                    continue;
                }

                symbols.Add(CodeB);
                inC = false;
            }
            else if (run >= 4)
            {
                // An odd run keeps its first digit in B, so C gets whole pairs.
                if (run % 2 == 1)
                {
                    symbols.Add(text[i] - 32);
                    i++;
                }

                symbols.Add(CodeC);
                inC = true;
                continue;
            }

            symbols.Add(text[i] - 32);
            i++;
        }

        var check = symbols[0];
        for (var position = 1; position < symbols.Count; position++) check += symbols[position] * position;
        symbols.Add(check % 103);
        return symbols;
    }

    /// <summary>Element widths in modules, bar first, alternating bar and space, stop included (no quiet zones).</summary>
    public static IReadOnlyList<int> Widths(string text)
    {
        var widths = new List<int>();
        foreach (var symbol in Symbols(text).Append(Stop))
        {
            foreach (var c in Patterns[symbol]) widths.Add(c - '0');
        }

        return widths;
    }

    private static int DigitRun(string text, int from)
    {
        var end = from;
        while (end < text.Length && char.IsAsciiDigit(text[end])) end++;
        return end - from;
    }
}
