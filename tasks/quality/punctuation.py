"""Punctuation as DataTrove 0.10.1 defines it (`datatrove/utils/text.py`, Apache-2.0), copied so the statistics
need no DataTrove at run time; `tests/tasks/quality/test_parity.py` checks the copy against DataTrove itself.

PUNCTUATION: ASCII and CJK punctuation plus the control characters; TERMINAL_PUNCTUATION: 159 sentence-final marks
of many scripts (it holds . ? ! but not quotes). A word made only of their characters is a "symbol word".
"""

from __future__ import annotations

PUNCTUATION = (
    "!/—”:\uff05\uff11〈&(、━\u005c【#%「」，】；+^]~“《„';’{|∶´[=-`*\uff0e（–？！：$～«〉,><》)?）。…@_.\u0022}►"
    "»\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000b\u000c\u000d\u000e\u000f"
    "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e"
    "\u001f\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c"
    "\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b"
    "\u009c\u009d\u009e\u009f"
)
_TERMINAL = (
    "!.?։؝؞؟۔܀܁܂߹࠷࠹࠽࠾।॥၊။።፧፨᙮᜵᜶។៕៖៙៚᠃᠉᥄᥅᪨᪩᪪᪫᭚᭛᭞᭟᭽᭾᰻᰼᱾᱿‼‽⁇⁈⁉⸮⸼⹓⹔。\ua4ff\ua60e\ua60f\ua6f3\ua6f7"
    "\ua876\ua877\ua8ce\ua8cf\ua92f\ua9c8\ua9c9\uaa5d\uaa5e\uaa5f\uaaf0\uaaf1\uabeb\ufe52\ufe56"
    "\ufe57！\uff0e？\uff61\U00010a56\U00010a57\U00010f55\U00010f56\U00010f57\U00010f58\U00010f59"
    "\U00010f86\U00010f87\U00010f88\U00010f89\U00011047\U00011048\U000110be\U000110bf\U000110c0"
    "\U000110c1\U00011141\U00011142\U00011143\U000111c5\U000111c6\U000111cd\U000111de\U000111df"
    "\U00011238\U00011239\U0001123b\U0001123c\U000112a9\U0001144b\U0001144c\U000115c2\U000115c3"
    "\U000115c9\U000115ca\U000115cb\U000115cc\U000115cd\U000115ce\U000115cf\U000115d0\U000115d1"
    "\U000115d2\U000115d3\U000115d4\U000115d5\U000115d6\U000115d7\U00011641\U00011642\U0001173c"
    "\U0001173d\U0001173e\U00011944\U00011946\U00011a42\U00011a43\U00011a9b\U00011a9c\U00011c41"
    "\U00011c42\U00011ef7\U00011ef8\U00011f43\U00011f44\U00016a6e\U00016a6f\U00016af5\U00016b37"
    "\U00016b38\U00016b44\U00016e98\U0001bc9f\U0001da88"
)
TERMINAL_PUNCTUATION = frozenset(_TERMINAL)
PUNCTUATION_SET = frozenset(PUNCTUATION) | TERMINAL_PUNCTUATION
