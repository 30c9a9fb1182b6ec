//! The pattern table. Weights: 0.85 is a strong hit that blocks on its own
//! (block is "above 0.8"); 0.55–0.7 challenges alone; below 0.5 is a hint
//! that only counts together with others. Syntax that people also write
//! when asking about it (a bare `<script>`, `{{ }}`, `../`, `UNION SELECT`)
//! stays a hint; the strong patterns look for what only a payload needs (an
//! `alert(` inside the tag, `7*7` inside the marker, a quote before `OR`).
//!
//! Patterns run case-insensitively on ASCII; the text is normalised first.

use super::Category::{self, *};

pub(crate) struct Pattern {
    pub category: Category,
    pub name: &'static str,
    pub regex: &'static str,
    pub weight: f64,
}

const fn p(category: Category, name: &'static str, regex: &'static str, weight: f64) -> Pattern {
    Pattern {
        category,
        name,
        regex,
        weight,
    }
}

/// JavaScript a payload calls to prove it ran or to steal something.
macro_rules! js_sink {
    () => {
        r"(alert|prompt|confirm|eval|fetch|atob|import|document\.|window\.|top\.|self\.|parent\.|location|string\.fromcharcode|constructor|settimeout|setinterval|xmlhttprequest|navigator\.)"
    };
}

pub(crate) const PATTERNS: &[Pattern] = &[
    // SQL injection.
    p(
        SqlInjection,
        "union_select",
        r"\bunion\s+(all\s+|distinct\s+)?select\b",
        0.45,
    ),
    p(
        SqlInjection,
        "union_select_probe",
        r#"(['")]|\d|\bnull)\s+union\s*(all\s*|distinct\s*)?select\b|\bunion\s*(all\s*|distinct\s*)?select\s*\(?\s*(null\b|\d+\s*(,|--|#|from|$)|@@|0x|char\s*\(|concat|group_concat|load_file|table_name|column_name|schema_name|user\s*\(|version\s*\(|database\s*\(|password|username)"#,
        0.85,
    ),
    p(
        SqlInjection,
        "tautology",
        r#"['"`]\s*\)*\s*(or|and|\|\||&&)\s*\(*\s*(['"`]\w*['"`]\s*(=|<>|!=|\blike\b)|\d+\s*(=|<>|!=|<|>)\s*\d+|true\b|not\s+false\b)"#,
        0.85,
    ),
    p(
        SqlInjection,
        "numeric_tautology",
        r"\b(or|and)\s+\(?\s*(\d+|'\w*')\s*(=|<>|!=|>|<)\s*(\d+|'\w*')\s*\)?\s*(--|#|/\*|;|$)",
        0.7,
    ),
    p(
        SqlInjection,
        "comment_terminator",
        r#"\w['"]\s*\)*\s*(--\s*(-\s*)?$|--[^\s-]|#\s*$|/\*|;\s*--|;\s*%00)"#,
        0.55,
    ),
    p(
        SqlInjection,
        "order_by_probe",
        r#"['"]\s*\)*\s*(order\s+by\s+\d+|group\s+by\s+\w+\s+having\s+\d+\s*=\s*\d+)\s*(--|#|/\*)"#,
        0.85,
    ),
    p(
        SqlInjection,
        "stacked_ddl",
        r#"(['"\d)]\s*;|;\s*$|--\s*;)\s*(drop|truncate|alter|shutdown|exec(ute)?\s|declare\s|delete\s+from|insert\s+into|update\s+\w+\s+set|select\s|create\s+(user|login))"#,
        0.85,
    ),
    p(SqlInjection, "drop_table", r";\s*drop\s+(table|database|schema)\b", 0.6),
    p(
        SqlInjection,
        "sql_keyword",
        r"\b(select\s+(\*|[\w.]+(\s*,\s*[\w.]+)*)\s+from\s+\w+|drop\s+table|insert\s+into|delete\s+from)\b",
        0.3,
    ),
    p(
        SqlInjection,
        "time_based",
        r#"(['")]|\b(and|or|select|if|then|when|\d)\b)\s*\(?\s*(sleep|pg_sleep|benchmark)\s*\(\s*\d|\bwaitfor\s+delay\s+['"]|\bdbms_pipe\.receive_message"#,
        0.85,
    ),
    p(
        SqlInjection,
        "error_based",
        r"\b(extractvalue|updatexml)\s*\(.*concat|\bconvert\s*\(\s*int\s*,\s*\(?\s*select|\bcast\s*\(\s*\(?\s*select\b.*\bas\s+(int|numeric)",
        0.85,
    ),
    p(
        SqlInjection,
        "schema_probe",
        r"\b(information_schema\.(tables|columns|schemata)|sqlite_master|pg_catalog\.|sysobjects|mysql\.user)\b|@@version|\binto\s+(out|dump)file\b|\bload_file\s*\(",
        0.6,
    ),
    // Cross-site scripting.
    p(Xss, "script_tag", r"<\s*script\b", 0.45),
    p(Xss, "script_element", r"(?s)<\s*script\b[^>]*>.+?<\s*/\s*script", 0.6),
    p(
        Xss,
        "script_payload",
        concat!(
            r"(?s)<\s*script\b[^>]*>[^<]{0,200}?",
            js_sink!(),
            r#"|<\s*script\b[^>]*\bsrc\s*=\s*['"]?\s*(https?:|//|data:)"#
        ),
        0.85,
    ),
    p(
        Xss,
        "event_handler",
        r#"<[a-z!][^>]*[\s/"'`]on[a-z]+\s*=\s*[^\s{>]"#,
        0.55,
    ),
    p(
        Xss,
        "event_handler_payload",
        concat!(
            r#"<[a-z!][^>]*[\s/"'`]on[a-z]+\s*=\s*['"`]?\s*("#,
            js_sink!(),
            r"|javascript:)"
        ),
        0.85,
    ),
    // Browsers drop tabs and line breaks inside a URL scheme (`jav&#x09;ascript:`).
    p(
        Xss,
        "javascript_url",
        r#"(javascript|vbscript)\s*:\s*[\w/.]+\s*[(`]|=\s*['"]?\s*(j\s*a\s*v\s*a\s*s\s*c\s*r\s*i\s*p\s*t|v\s*b\s*s\s*c\s*r\s*i\s*p\s*t)\s*:"#,
        0.85,
    ),
    p(
        Xss,
        "data_url",
        r"data:\s*(text/html|image/svg\+xml|application/x?html)",
        0.6,
    ),
    p(
        Xss,
        "embedded_frame",
        r"<\s*(iframe|object|embed|svg|math|base|meta\s+http-equiv)\b",
        0.4,
    ),
    p(
        Xss,
        "cookie_theft",
        r"document\.cookie|document\.domain|localstorage\.getitem",
        0.5,
    ),
    p(
        Xss,
        "style_expression",
        r"expression\s*\(|-moz-binding\s*:|behavior\s*:\s*url",
        0.7,
    ),
    // Path traversal.
    p(PathTraversal, "dot_dot_slash", r"\.\.[/\\]", 0.35),
    p(
        PathTraversal,
        "deep_traversal",
        r"(\.\.[/\\;]+){3,}|\.\.\.\.[/\\]{1,2}|\.\.;/",
        0.6,
    ),
    p(
        PathTraversal,
        "encoded_dot_dot",
        r"(%2e%2e|%252e%252e|%u002e%u002e|\.\.)(%2f|%5c|%252f|%255c|%c0%af|%c1%9c|%e0%80%af|%c0%2f)|%c0%ae%c0%ae|\.\.\x{FFFD}",
        0.85,
    ),
    p(
        PathTraversal,
        "sensitive_file",
        r"(/etc/(passwd|shadow|hosts|group|issue)\b|c:\\windows\\(system32|win\.ini)|\bwin\.ini\b|\bboot\.ini\b|/proc/self/|\.ssh/id_(rsa|ed25519)|/\.env\b|\bweb\.config\b|/var/log/)",
        0.5,
    ),
    p(
        PathTraversal,
        "traversal_to_file",
        r"\.\.[/\\].*(etc[/\\](passwd|shadow)|win\.ini|boot\.ini|system32|proc[/\\]self|\.ssh|\.env\b|web\.config)",
        0.85,
    ),
    p(
        PathTraversal,
        "file_url",
        r"\bfile://+(etc|c:|[a-z]:|/|%2f)|\b(php|zip|phar|expect)://",
        0.7,
    ),
    p(PathTraversal, "null_byte", r"\x00|%00\.?\w", 0.5),
    // Template injection.
    p(
        TemplateInjection,
        "template_marker",
        r"(?s)\{\{.*?\}\}|\$\{[^}]*\}|\{%.*?%\}|<%=?.*?%>|#\{[^}]*\}",
        0.35,
    ),
    p(
        TemplateInjection,
        "template_arithmetic",
        r#"(\{\{|\$\{|#\{|\*\{|@\(|\{|<%=?|\[\[|\{\{=)\s*['"]?\d+['"]?\s*[*+]\s*['"]?\d+['"]?\s*(\}\}|\}|%>|\)|\]\])"#,
        0.85,
    ),
    p(
        TemplateInjection,
        "template_gadget",
        r#"(?s)(\{\{|\{%|\$\{|#\{|<%|\*\{)[^}]{0,300}?(__class__|__mro__|__subclasses__|__globals__|__builtins__|__init__|__import__|config\b|self\b|request\.|lipsum|cycler|joiner|namespace|getruntime|processbuilder|\bt\s*\(\s*java|constructor|\bexec\b|popen|system|os\.|range\s*\(|product\.|dump\(|\bsettings\.)"#,
        0.85,
    ),
    p(
        TemplateInjection,
        "template_engine_gadget",
        r#"freemarker\.template\.utility|\?new\s*\(\)|<#assign\b|#set\s*\(\s*\$|\{php\}|\{system\s*\(|\.__subclasses__\s*\(|\.__mro__|__globals__\s*\["#,
        0.85,
    ),
    // Command execution.
    p(
        CodeExecution,
        "eval_call",
        r"\b(eval|exec|system|popen|passthru|shell_exec|execfile|proc_open|pcntl_exec)\s*\(\s*[^)\s]",
        0.5,
    ),
    p(
        CodeExecution,
        "exec_payload",
        r#"\b(eval|exec|system|popen|passthru|shell_exec|proc_open|spawn|execsync|exec_command|assert)\s*\(\s*['"`]?\s*(id|whoami|ls|cat|rm|curl|wget|nc|bash|sh|cmd|powershell|uname|ping|base64|/bin/|\$_(get|post|request|cookie|server)|request\.|params\[|atob|buffer\.from|compile\(|__import__|base64_decode|gzinflate|str_rot13)"#,
        0.85,
    ),
    p(
        CodeExecution,
        "python_import",
        r#"__import__\s*\(\s*['"]?(os|subprocess|pty|socket|builtins)|pty\.spawn\s*\("#,
        0.85,
    ),
    p(
        CodeExecution,
        "subprocess_shell",
        r"subprocess\.\w+\([^)]*shell\s*=\s*true",
        0.6,
    ),
    p(
        CodeExecution,
        "shell_chain",
        r"(;|&&?|\|\|?|\n|\r|%0a|\$\{ifs\})\s*(rm\s+-|curl\s|wget\s|nc\s|ncat\s|bash\s|sh\s+-[ci]|chmod\s|cat\s+/|id\b|whoami\b|uname\b|ping\s+-[cn]|sleep\s+\d|ls\s+-?\w*\s*/|powershell|cmd(\.exe)?\s*/c|python3?\s+-c|perl\s+-e|ruby\s+-e|php\s+-r|echo\s+\S+\s*>|nslookup\s|dig\s|net\s+user|type\s+c:|dir\s+c:|base64\s+-d|telnet\s)",
        0.85,
    ),
    p(
        CodeExecution,
        "command_substitution",
        r#"\$\(\s*(id|whoami|uname|cat|curl|wget|rm|nc|bash|sh|ls|ping|sleep|nslookup|echo|hostname|env)\b[^)]*\)|[=;|&('"]\s*`\s*(id|whoami|uname|cat|curl|wget|rm|nc|bash|sh|ls|ping|sleep|nslookup|hostname|env)\b[^`]*`|`\s*(cat|curl|wget|rm|nc|bash|sh|ls|ping|nslookup)\s[^`]*(/|https?:)[^`]*`"#,
        0.85,
    ),
    // A bare `id` or `whoami` in backticks is as often a Markdown code span.
    p(
        CodeExecution,
        "backtick_command",
        r"`\s*(id|whoami|uname(\s+-a)?)\s*`",
        0.45,
    ),
    p(
        CodeExecution,
        "reverse_shell",
        r"/dev/(tcp|udp)/|\bnc(at)?\s+(-\w+\s+)*-e\s|\bbash\s+-i\s*>&|\bmkfifo\s|socket\.socket\s*\(|\bsocat\s.*exec:|invoke-expression|\biex\s*\(|downloadstring\s*\(|-enc(odedcommand)?\s+[a-z0-9+/=]{16,}",
        0.85,
    ),
    p(
        CodeExecution,
        "runtime_exec",
        r#"runtime\s*\.\s*getruntime\s*\(\s*\)\s*\.\s*exec|require\s*\(\s*['"`]child_process|process\.binding\s*\(|\bxp_cmdshell\b|\bsp_oacreate\b|<\?php|\bdeserialize\b.*\bgadget|\bobjectinputstream\b"#,
        0.85,
    ),
    // Prompt injection.
    p(
        PromptInjection,
        "ignore_instructions",
        r"\b(ignore|disregard|forget|override|bypass|discard|abandon|set\s+aside|stop\s+following|do\s+not\s+follow|don'?t\s+follow|no\s+longer\s+follow)\s+(all\s+|any\s+|every\s+|each\s+|of\s+)*(the\s+|your\s+|my\s+|these\s+|those\s+|its\s+|this\s+)?(previous|prior|above|earlier|preceding|original|initial|system|existing|current|old|safety|former|given|developer|hidden|aforementioned|foregoing)?(\s+(and|or|&)\s+\w+)?\s*(instructions?|prompts?|rules|directions|guidelines|guardrails|constraints|programming|directives|restrictions|policies|commands|orders|training|content\s+polic(y|ies))\b",
        0.85,
    ),
    p(
        PromptInjection,
        "ignore_above",
        r"\b(ignore|disregard|forget|override)\s+(all\s+|of\s+)*(the\s+|everything\s+|anything\s+|what\s+(was|is|you\s+were)\s+(said|written|told)\s+)?(above|before|previously|prior|earlier|so\s+far|up\s+to\s+(now|this\s+point))\b|\bforget\s+everything\s+(you\s+(were|have\s+been)\s+told|above|before)\b",
        0.85,
    ),
    p(
        PromptInjection,
        "new_instructions",
        r"\b(new|updated|revised|real|actual|true|override|admin|priority)\s+(system\s+)?(instructions?|prompt|directives?)\s*:|\bsystem\s+(rules|orders|task)\s*:|\byour\s+(new|real|true|actual)\s+(task|role|instructions?|purpose|goal|objective)\s+(is|are)\b",
        0.85,
    ),
    p(
        PromptInjection,
        "from_now_on",
        r"\bfrom\s+now\s+on,?\s+you\s+(will|are|must|shall|should|have\s+to)\b",
        0.55,
    ),
    p(
        PromptInjection,
        "you_are_now",
        r"\byou\s+are\s+(now|no\s+longer)\s+(a|an|the|my|called|named)\b",
        0.6,
    ),
    p(
        PromptInjection,
        "role_override",
        r"\byou\s+are\s+(now|no\s+longer)\s+(an?\s+|in\s+)?(dan|developer\s+mode|unrestricted|unfiltered|uncensored|jailbroken|evil|free|bound|restricted|limited|an?\s+ai|chatgpt|claude|an?\s+assistant|a\s+language\s+model|required|obliged)|\b(act|behave|respond)\s+as\s+(if\s+you\s+(are|were)\s+)?(dan|an?\s+(unfiltered|unrestricted|uncensored|jailbroken|evil))|\bpretend\s+(that\s+)?(you\s+(are|have)|to\s+be)\b.{0,60}\b(no|without|free\s+of|not\s+bound\s+by)\s+(restrictions|filters|rules|limits|guidelines|censorship)",
        0.85,
    ),
    p(
        PromptInjection,
        "reveal_prompt",
        r"\b(reveal|show|print|repeat|leak|output|display|tell|give|dump|spell\s+out|write\s+out|what\s+(is|are|was|were)|expose|share|recite)\s+(me\s+|us\s+)?(all\s+)?(your|the)\s+(full\s+|exact\s+|entire\s+|original\s+|initial\s+|hidden\s+|secret\s+|verbatim\s+|complete\s+)*(system\s+prompt|system\s+message|hidden\s+instructions|secret\s+instructions|initial\s+prompt|developer\s+(message|instructions)|pre-?prompt)|\b(reveal|print|repeat|leak|output|dump|recite)\s+(me\s+)?(all\s+)?your\s+(full\s+|exact\s+|entire\s+|original\s+|initial\s+|hidden\s+|secret\s+)*(instructions|prompt|rules|guidelines|configuration)",
        0.7,
    ),
    p(
        PromptInjection,
        "repeat_above",
        r"\b(repeat|print|output|copy|echo)\s+(back\s+)?(all\s+|everything\s+|the\s+)?(text|words|content|everything|lines)?\s*(above|before\s+this|preceding)\b.{0,40}\b(verbatim|exactly|word\s+for\s+word|including)",
        0.7,
    ),
    p(
        PromptInjection,
        "jailbreak_word",
        r"\b(jailbreak(ed|\s+mode)|jailbroken|do\s+anything\s+now|developer\s+mode\s+(enabled|on|activated)|dan\s+mode|god\s+mode\s+enabled)\b",
        0.6,
    ),
    p(
        PromptInjection,
        "system_spoof",
        r"(^|\n)\s*(system|assistant|developer)\s*:",
        0.55,
    ),
    p(
        PromptInjection,
        "chat_template_token",
        r"<\|im_start\|>|<\|im_end\|>|<\|system\|>|<\|endoftext\|>|\[/?inst\]|<</?sys>>|(^|\n)\s*#{2,}\s*(system|instruction|new\s+instruction)",
        0.7,
    ),
    p(
        PromptInjection,
        "exfiltrate",
        r"\b(send|post|email|forward|upload|exfiltrate|leak)\s+(all\s+|the\s+|your\s+|any\s+)*(api\s+keys?|passwords?|secrets?|credentials|tokens?|conversation|chat\s+history|system\s+prompt|env(ironment)?\s+variables)\s+to\b|!\[[^\]]*\]\(https?://[^)\s]*\?[^)\s]*=\s*[{$]",
        0.7,
    ),
    p(
        PromptInjection,
        "hide_from_user",
        r"\b(do\s+not|don'?t|never)\s+(tell|inform|mention\s+(this\s+)?to|reveal\s+(this\s+)?to|alert|show)\s+the\s+user\b",
        0.6,
    ),
];
