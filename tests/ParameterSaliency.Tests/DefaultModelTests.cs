using System.Security.Cryptography;
using System.Text.Json;
using ParameterSaliency.Data;
using ParameterSaliency.Evaluation;
using ParameterSaliency.Models;
using static TorchSharp.torch;

namespace ParameterSaliency.Tests;

public class DefaultModelTests(DefaultModelFixture defaultModel) : IClassFixture<DefaultModelFixture>
{
    [Fact]
    public void Committed_model_reaches_92_percent_on_the_test_split()
    {
        var report = SharedData.CachedEvaluation(Notebooks.Workbook.Default);
        Assert.True(report.Accuracy >= 0.92, $"test accuracy {report.Accuracy:F4} < 0.92");
        Assert.Equal(10000, report.Labels.Count);
    }

    [Fact]
    public void Committed_model_gives_the_logits_PyTorch_gives()
    {
        using var fixture = JsonDocument.Parse(File.ReadAllText(Path.Combine(Workbook.Fixtures, "default-model-logits.json")));
        string sha = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(WorkbookPaths.DefaultModel)));
        Assert.True(fixture.RootElement.GetProperty("model_sha256").GetString() == sha,
            "tests/fixtures/default-model-logits.json was made for another model file: rerun tests/reference/pytorch_reference.py");
        var expected = fixture.RootElement.GetProperty("logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var model = defaultModel.Model;
        var test = SharedData.TestSplit;
        using var noGrad = no_grad();
        using var logits = model.call(test.Images.narrow(0, 0, expected.Length));
        var actual = logits.data<float>().ToArray();
        for (int i = 0; i < expected.Length; i++)
            for (int c = 0; c < expected[i].Length; c++)
                Assert.True(Math.Abs(expected[i][c] - actual[i * 10 + c]) <= 1e-4 + 1e-4 * Math.Abs(expected[i][c]),
                    $"image {i} class {c}: PyTorch {expected[i][c]}, TorchSharp {actual[i * 10 + c]}");
    }
}
