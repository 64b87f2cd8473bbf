using ImapEvents.Core.Text;

namespace ImapEvents.Tests.Core;

public sealed class StoredTextTests
{
    [Theory]
    [InlineData("Login failed.", "Login failed.")]
    [InlineData("line one\nline two\ttabbed\r\n", "line one\nline two\ttabbed\r\n")]
    [InlineData("nul\0here", "nul\uFFFDhere")]
    [InlineData("bell\u0007 and escape\u001b[31m", "bell\uFFFD and escape\uFFFD[31m")]
    [InlineData("a pair stays: \uD83D\uDE00", "a pair stays: \uD83D\uDE00")]
    public void Clip_ReplacesWhatPostgreSqlRefusesOrATerminalWouldObey(string text, string stored) =>
        Assert.Equal(stored, StoredText.Clip(text, 2000));

    [Fact]
    public void Clip_ReplacesLoneSurrogates_WhichAreNotUtf8() =>
        Assert.Equal("lone high \uFFFD and lone low \uFFFD", StoredText.Clip("lone high \uD800 and lone low \uDC00", 2000));

    [Fact]
    public void Clip_CutsLongTextToTheColumnLength_WithAnEllipsis()
    {
        var clipped = StoredText.Clip(new string('x', 5000), 2000);

        Assert.Equal(2000, clipped.Length);
        Assert.EndsWith("x…", clipped, StringComparison.Ordinal);
        Assert.Equal("short", StoredText.Clip("short", 5));
        Assert.Equal("shor…", StoredText.Clip("shorter", 5));
    }

    [Fact]
    public void Clip_NeverCutsASurrogatePairInHalf()
    {
        // The cut would fall between the two halves of the emoji: it goes before the pair instead.
        var clipped = StoredText.Clip("abc\uD83D\uDE00def", 5);

        Assert.Equal("abc…", clipped);
        Assert.Null(StoredText.ClipOrNull(null, 10));
    }
}
