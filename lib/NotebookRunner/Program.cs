using System.CommandLine;
using NotebookRunner;

var targets = new Argument<string[]>("notebooks") { Description = "Notebooks (.ipynb) or folders of notebooks, run in name order.", Arity = ArgumentArity.OneOrMore };
var outFolder = new Option<string>("--out") { Description = "Where executed notebooks (.ipynb) and HTML pages go.", DefaultValueFactory = _ => Path.Combine("artifacts", "notebooks") };
var cellTimeout = new Option<int>("--cell-timeout") { Description = "Seconds a single cell may run.", DefaultValueFactory = _ => 1800 };
var parameterValues = new Option<string[]>("--parameter", "-p")
{
    Description = "NAME=VALUE: set a variable of the notebook's cell tagged \"parameters\" (papermill's convention) to a C# expression; repeatable.",
    AllowMultipleArgumentsPerToken = false,
};
var root = new RootCommand("Execute .NET Interactive (C#) notebooks headlessly; write executed .ipynb and HTML copies.") { targets, outFolder, cellTimeout, parameterValues };
root.SetAction(async (result, cancel) =>
{
    var notebooks = new List<string>();
    foreach (string target in result.GetValue(targets)!)
    {
        if (Directory.Exists(target)) notebooks.AddRange(Directory.GetFiles(target, "*.ipynb").Order(StringComparer.Ordinal));
        else if (File.Exists(target)) notebooks.Add(target);
        else { Console.Error.WriteLine($"notebook-runner: no notebook or folder at '{target}'."); return 2; }
    }
    if (notebooks.Count == 0) { Console.Error.WriteLine("notebook-runner: no .ipynb files found."); return 2; }

    NotebookParameter[] parameters;
    try { parameters = (result.GetValue(parameterValues) ?? []).Select(NotebookParameter.Parse).ToArray(); }
    catch (FormatException e) { Console.Error.WriteLine($"notebook-runner: {e.Message}"); return 2; }
    string output = Path.GetFullPath(result.GetValue(outFolder)!);
    Directory.CreateDirectory(output);
    var failures = new List<CellFailure>();
    foreach (string notebook in notebooks)
    {
        Console.WriteLine($"Running {notebook}");
        var run = await NotebookExecutor.RunAsync(notebook, Console.Out, TimeSpan.FromSeconds(result.GetValue(cellTimeout)), parameters);
        string name = Path.GetFileNameWithoutExtension(notebook);
        File.WriteAllText(Path.Combine(output, name + ".ipynb"), run.Executed.ToJson());
        File.WriteAllText(Path.Combine(output, name + ".html"), HtmlPage.Render(run.Executed, name));
        if (run.Failure is null)
            Console.WriteLine($"  ok: {run.CodeCells} code cells in {run.Duration.TotalSeconds:F1} s -> {Path.Combine(output, name)}.ipynb/.html");
        else
        {
            Console.Error.WriteLine($"FAILED {run.Failure}");
            failures.Add(run.Failure);
        }
    }
    Console.WriteLine($"{notebooks.Count - failures.Count} of {notebooks.Count} notebooks ran without error; executed copies in {output}");
    return failures.Count == 0 ? 0 : 1;
});
// plotly.js as the pages inline it, for templates that inline it too (environment/share-notebook.sh's nbconvert template).
var plotlyTarget = new Argument<string>("file") { Description = "Where to write it." };
var rawJinja = new Option<bool>("--jinja-raw") { Description = "Wrap it in {% raw %} ... {% endraw %}, for a Jinja template to include." };
var plotlyCommand = new Command("plotly-js", "Write the plotly.js the HTML pages inline (the copy Plotly.NET carries) to a file.") { plotlyTarget, rawJinja };
plotlyCommand.SetAction(result =>
{
    string script = PlotlyJs.Inline;
    File.WriteAllText(result.GetValue(plotlyTarget)!, result.GetValue(rawJinja) ? "{% raw %}" + script + "{% endraw %}" : script);
    return 0;
});
root.Subcommands.Add(plotlyCommand);
return await root.Parse(args).InvokeAsync();
