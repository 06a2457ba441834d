using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using ParameterSaliency.Analyzers;

namespace ParameterSaliency.Tests;

/// <summary>
/// PS0002, the rule against a constant 0 that C# turns into a ScalarType (<c>t.sum(0)</c> sums everything as bytes), and
/// PS0001, the build's rule against TorchSharp Scalars that nothing holds during the native call (a collection can
/// finalise them mid-call: notebook 07 failed twice in suite runs with "Unknown scalar type"). The rule runs on
/// snippets here, so a rule that stopped firing fails this test instead of silently passing every build.
/// </summary>
public class TemporaryScalarRuleTests
{
    const string Prelude = """
        using TorchSharp;
        using static TorchSharp.torch;
        static class Snippet
        {
            static readonly Scalar Held = 1e-300;
        """;

    const string Method = """
            static void Run(Tensor t, int n, double d)
            {
        """;

    [Theory]
    [InlineData("var a = t / n;")]
    [InlineData("var a = 1 - t;")]
    [InlineData("var a = t * 0.5;")]
    [InlineData("t /= 2;")]
    [InlineData("var a = t.clamp_min(0);")]
    [InlineData("var a = t.add(t, alpha: d);")]
    [InlineData("var a = t.index_fill_(0, t, 2.5);")]
    [InlineData("Scalar s = n; var a = t / s;")]
    [InlineData("var s = (Scalar)n; var a = t / s;")]
    public void A_temporary_scalar_is_refused(string body) =>
        Assert.Equal([TemporaryScalarAnalyzer.Id], Diagnose(body).Select(d => d.Id).Distinct().ToArray());

    [Theory]
    [InlineData("using Scalar count = n; var a = t / count;")]
    [InlineData("using Scalar one = 1, zero = 0; var a = (one - t).clamp_min(zero);")]
    [InlineData("var a = t.clamp_min(Held);")]
    [InlineData("var a = t / t;")]
    [InlineData("using (Scalar s = d) { var a = t * s; }")]
    [InlineData("var a = t.sum([0]);")]
    public void A_held_scalar_or_no_scalar_passes(string body) => Assert.Empty(Diagnose(body));

    [Fact]
    public void A_static_field_that_is_not_readonly_is_refused()
    {
        // `Loose` can be reassigned, and the old value finalised while a call still reads it.
        var diagnostics = Diagnose("", "    static Scalar Loose = 3;\n");
        Assert.Single(diagnostics);
        Assert.Contains("'3'", diagnostics[0].GetMessage());
    }

    [Theory]
    [InlineData("var a = t.sum(0);")]
    [InlineData("var a = t.to(ScalarType.Float64).sum(0);")]
    [InlineData("ScalarType? type = 0; var a = t.sum(type);")]
    public void A_constant_that_becomes_a_scalar_type_is_refused(string body) =>
        Assert.Equal([ZeroAsScalarTypeAnalyzer.Id], Diagnose(body).Select(d => d.Id).Distinct().ToArray());

    [Theory]
    [InlineData("var a = t.sum(dim: 0);")]
    [InlineData("var a = t.sum(0, keepdim: true);")]
    [InlineData("var a = t.sum(1);")]
    [InlineData("var a = t.sum(ScalarType.Float64);")]
    [InlineData("var a = t.sum((ScalarType)0);")]
    [InlineData("ScalarType? type = null; var a = t.sum(type);")]
    public void A_dimension_or_a_named_scalar_type_passes(string body) => Assert.Empty(Diagnose(body));

    static Diagnostic[] Diagnose(string body, string members = "")
    {
        var source = Prelude + members + Method + body + "\n    }\n}\n";
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(TorchSharp.Scalar).Assembly.Location)
            .Distinct()
            .Select(path => MetadataReference.CreateFromFile(path));
        var compilation = CSharpCompilation.Create("snippet", [CSharpSyntaxTree.ParseText(source)], references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
        Assert.True(errors.Length == 0, "the snippet does not compile: " + string.Join("; ", errors.Select(e => e.ToString())));
        return compilation.WithAnalyzers([new TemporaryScalarAnalyzer(), new ZeroAsScalarTypeAnalyzer()])
            .GetAnalyzerDiagnosticsAsync().Result
            .ToArray();
    }
}
